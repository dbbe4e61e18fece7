"""The per-group renderer: each delivery's message, made from its group's stencils.

A run sends many messages that differ only in the person: :class:`Batch`
renders the letter and builds the message once per group (meeting, kind,
language, and whether the person has a name) as stencils (see
:mod:`reminders.mail.stencils`), then fills them for each person. The first
person of a group is also rendered whole and compared: a template that does
more with a person's values than print them (say ``name|upper``) gets no
stencil and is rendered whole for everyone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from email.headerregistry import Address
from typing import Any, Literal

from reminders.errors import Problem
from reminders.i18n.languages import Language, Locales, choose
from reminders.inputs.meetings import Meeting, Series, Snapshot
from reminders.inputs.subscribers import Subscriber
from reminders.kinds import Kind
from reminders.mail.assembly import Identity, personal_links
from reminders.mail.context import PersonalLinks, message_context, shared_context
from reminders.mail.stencils import LINK_MARKS, NAME_MARK, MessageStencil, fill
from reminders.mail.templates import Letter, TemplateProblem, Templates
from reminders.publish.feed import FeedOptions
from reminders.publish.site import meeting_calendar
from reminders.revisions import Revision

__all__ = ["Batch"]

log = logging.getLogger(__name__)

LetterKey = tuple[str, str, str, bool, Snapshot | None]


class Batch:
    """Renders the messages of one run, each group's stencils made once."""

    def __init__(
        self,
        *,
        series: Series,
        revisions: Mapping[str, Revision],
        bounce: Address | None = None,
        options: FeedOptions,
        identity: Identity,
        templates: Templates,
        allow_drafts: tuple[str, ...],
        now: datetime,
    ) -> None:
        self.series, self.revisions, self.options = series, revisions, options
        self.identity, self.templates, self.now = identity, templates, now
        self.allow_drafts = allow_drafts
        # The return path's base (bounces@domain); the sender's address without one.
        self.bounce = bounce or identity.sender
        self.shared: dict[tuple[str, str], dict[str, Any]] = {}
        self.choices: dict[str, list[Language]] = {}
        self.letters: dict[LetterKey, Letter | Literal[False]] = {}
        self.messages: dict[tuple[str, str, str], MessageStencil] = {}

    @property
    def locales(self) -> Locales:
        return self.templates.locales

    def message(
        self, meeting: Meeting, kind: Kind, person: Subscriber, previous: Snapshot | None = None
    ) -> tuple[bytes, str]:
        """One person's message (CRLF bytes) and its Message-ID."""
        links = personal_links(self.identity, person.email, self.now, meeting)
        letter = self._letter(meeting, kind, person, links, previous)
        return self._message(meeting, kind, letter.language).render(letter, person, links)

    def _message(self, meeting: Meeting, kind: Kind, language: str) -> MessageStencil:
        key = (meeting.id, kind, language)
        if key not in self.messages:
            calendar = meeting_calendar(self.series, meeting, self.revisions, self.options)
            self.messages[key] = MessageStencil(
                identity=self.identity,
                meeting=meeting,
                kind=kind,
                calendar=calendar,
                now=self.now,
                language=language,
            )
        return self.messages[key]

    def _letter(
        self,
        meeting: Meeting,
        kind: Kind,
        person: Subscriber,
        links: PersonalLinks,
        previous: Snapshot | None,
    ) -> Letter:
        """Render in the first usable language of the person's list that renders whole."""
        problems: list[Problem] = []
        if person.language not in self.choices:
            self.choices[person.language] = choose(
                person.languages, self.locales, self.allow_drafts
            )
        for language in self.choices[person.language]:
            try:
                return self._stenciled(meeting, kind, person, links, previous, language)
            except TemplateProblem as error:
                log.warning(
                    "%s in %s failed to render; trying the next language", kind, language.tag
                )
                problems.extend(error.problems)
        raise TemplateProblem(problems)

    def _stenciled(
        self,
        meeting: Meeting,
        kind: Kind,
        person: Subscriber,
        links: PersonalLinks,
        previous: Snapshot | None,
        language: Language,
    ) -> Letter:
        key = (meeting.id, kind.family.template, language.tag, bool(person.name), previous)
        stencil = self.letters.get(key)
        if stencil is None:
            whole = self._whole(meeting, kind, person, links, previous, language)
            stand_in = replace(person, name=NAME_MARK if person.name else "")
            marked = self._whole(meeting, kind, stand_in, LINK_MARKS, previous, language)
            fits = fill(marked, person.name, links) == whole
            self.letters[key] = marked if fits else False
            if not fits:
                log.info(
                    "%s in %s: templates use personal values beyond printing them; "
                    "rendering each message whole",
                    kind,
                    language.tag,
                )
            return whole
        if stencil is False:
            return self._whole(meeting, kind, person, links, previous, language)
        return fill(stencil, person.name, links)

    def _whole(
        self,
        meeting: Meeting,
        kind: Kind,
        person: Subscriber,
        links: PersonalLinks,
        previous: Snapshot | None,
        language: Language,
    ) -> Letter:
        gettext = self.templates.gettext(language)
        key = (meeting.id, language.tag)
        if key not in self.shared:
            self.shared[key] = shared_context(
                meeting, self.series, self.options, self.now, language.tag, gettext
            )
        context = message_context(
            meeting,
            person,
            self.series,
            self.options,
            links,
            self.now,
            previous=previous,
            shared=self.shared[key],
            language=language.tag,
            gettext=gettext,
        )
        return self.templates.render(kind.family.template, context, language)
