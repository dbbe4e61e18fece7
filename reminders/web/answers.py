"""The answer pages: "I'll come", "Maybe", "I can't come", and what a party needs.

A link in a reminder carries a signed token (purpose ``rsvp``) naming one
meeting and an opaque answer id; opening it shows the form and records
nothing, since mail scanners open links too. Only the form's button (a
same-site POST with its CSRF token) records, under that id, so a second
answer replaces the first. The landing page's link has no token: its answer
gets a fresh random id, and the page it leads to carries a token for it, so
the same browser can change the answer later. No page asks for an address.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from flask import Blueprint, Response, request

from reminders.attendance import (
    MOST,
    OTHER,
    Answer,
    Reply,
    anonymous_id,
    answer_from_form,
    interpretation_choices,
)
from reminders.i18n.languages import LANGUAGES, N_, Language
from reminders.i18n.phrasing import when_phrase
from reminders.inputs.meetings import Meeting
from reminders.store.attendance import earlier, record
from reminders.tokens import InvalidToken, read_token, sign
from reminders.web import pages
from reminders.web.app import site, store

__all__ = ["answers"]

log = logging.getLogger(__name__)

answers = Blueprint("answers", __name__)

INVITATION = N_(
    "Will you come? Your answer helps the organizers plan seats, interpretation and "
    "childcare. Nobody can see who answered."
)
RESPONSES = {"yes": N_("I'll come"), "maybe": N_("Maybe"), "no": N_("I can't come")}


def _meeting(meeting_id: str) -> Meeting | None:
    return next((m for m in site().series() if m.id == meeting_id), None)


def _ident(meeting: Meeting) -> str | None:
    """The answer id of this request's token for ``meeting``; None if it is not one."""
    here = site()
    try:
        ident = read_token(here.secret, request.args.get("token", ""), "rsvp", here.clock())
    except InvalidToken:
        return None
    answer, _, bound = ident.partition(":")
    return answer if answer and bound == meeting.id else None


def _closed(meeting: Meeting, now: datetime) -> Response | None:
    """The page for a meeting nobody can answer for any more, if it is one."""
    if meeting.cancelled:
        return pages.page(
            410,
            title=N_("This meeting is cancelled"),
            paragraphs=[N_("There is nothing to answer. See the other meetings.")],
        )
    if meeting.end <= now:
        return pages.page(
            410,
            title=N_("This meeting is over"),
            paragraphs=[N_("Answers are closed. See the other meetings.")],
        )
    return None


def _language_name(tag: str) -> str:
    if tag in LANGUAGES:
        return LANGUAGES[tag]
    try:
        return Locale.parse(tag.replace("-", "_")).get_display_name(tag.replace("-", "_")) or tag
    except (ValueError, UnknownLocaleError):
        return tag


def _form(meeting: Meeting, answer: Answer, saved: bool, token: str) -> Response:
    env = pages.environment()
    translate: Callable[[str], str] = env.globals["translate"]  # type: ignore[assignment]
    language: Language = env.globals["language"]  # type: ignore[assignment]
    title = translate(N_("Will you come to the %(city)s meeting?")) % {"city": meeting.city}
    paragraphs = [when_phrase(meeting.start, meeting.end, language.tag)]
    if meeting.location:
        paragraphs.append(meeting.location)
    paragraphs.append(
        N_("Your answer is saved. You can change it with this page's link until the meeting.")
        if saved
        else INVITATION
    )
    choices = [
        (tag, N_("Another language") if tag == OTHER else _language_name(tag))
        for tag in interpretation_choices(meeting.access.interpretation)
    ]
    action = _address(meeting, token=token, lang=request.args.get("lang", ""))
    context: dict[str, Any] = {
        "answer": answer,
        "responses": RESPONSES,
        "choices": choices,
        "most": MOST,
        "action": action,
        "saved": saved,
    }
    return pages.with_form(
        "rsvp",
        lambda csrf: pages.page(
            title=title, paragraphs=paragraphs, form="rsvp", csrf=csrf, rsvp=context
        ),
    )


@answers.get("/rsvp/<meeting_id>")
@answers.get("/rsvp/<meeting_id>/<reply>")
def answer_form(meeting_id: str, reply: str = "") -> Response:
    meeting = _meeting(meeting_id)
    if meeting is None or reply not in ("", *RESPONSES):
        return pages.page(404, title=N_("No such meeting"), paragraphs=[N_("See all meetings.")])
    token = request.args.get("token", "")
    ident = _ident(meeting) if token else None
    if token and ident is None:
        return pages.invalid_link()
    closed = _closed(meeting, site().clock())
    if closed is not None:
        return closed
    given = earlier(store(), ident) if ident else None
    shown = given or Answer(response=Reply(reply or "yes"))
    if given and reply:
        shown = Answer(
            response=Reply(reply),
            guests=given.guests,
            interpretation=given.interpretation,
            children=given.children,
            wheelchair=given.wheelchair,
        )
    return _form(meeting, shown, saved=bool(request.args.get("saved")), token=token)


@answers.post("/rsvp/<meeting_id>")
def answer(meeting_id: str) -> Response:
    here = site()
    meeting = _meeting(meeting_id)
    if meeting is None:
        return pages.page(404, title=N_("No such meeting"), paragraphs=[N_("See all meetings.")])
    token = request.args.get("token", "")
    ident = _ident(meeting) if token else None
    if token and ident is None:
        return pages.invalid_link()
    if not (pages.from_here() and here.csrf.passes(request, "rsvp")):
        return pages.refused_form()
    closed = _closed(meeting, here.clock())
    if closed is not None:
        return closed
    given = answer_from_form(_fields(request.form), meeting.access.interpretation)
    if given is None:
        return pages.page(
            400, title=N_("Please check the form"), paragraphs=[N_("Unknown choice.")]
        )
    if ident is None:
        if not here.answers_limit.allow(request.remote_addr or "unknown"):
            return pages.page(
                429,
                title=N_("Too many answers"),
                paragraphs=[N_("Please wait a few minutes and try again.")],
            )
        ident = anonymous_id()
        token = sign(here.secret, f"{ident}:{meeting.id}", "rsvp", meeting.end)
    record(store(), meeting.id, ident, given, meeting.end)
    log.info("%s: an answer was recorded", meeting.id)
    target = _address(meeting, token=token, saved="1", lang=request.args.get("lang", ""))
    return Response(status=303, headers={"Location": target})


def _address(meeting: Meeting, **query: str) -> str:
    """The answer page of ``meeting`` with the query's non-empty values."""
    here = f"{site().base_path}rsvp/{meeting.id}"
    given = {key: value for key, value in query.items() if value}
    return f"{here}?{urlencode(given)}" if given else here


def _fields(form: Mapping[str, Any]) -> dict[str, str]:
    names = ("response", "guests", "interpretation", "children", "wheelchair")
    return {name: str(form.get(name, "")) for name in names}
