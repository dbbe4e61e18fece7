"""Composing reminder emails: the template context, the templates, the message.

Pure: meeting, subscriber, identity and templates in, an ``EmailMessage`` out.
One recipient per message. Every header-bound value passes through
:func:`header_safe`, because the Python of these machines (3.11.7) still lets
a CR/LF hidden in an encoded word or a trailing newline into headers
(CVE-2024-6923): control characters, Unicode line separators and encoded-word
markers never reach a header.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import escape

from reminders.errors import DataError, Problem
from reminders.i18n.languages import Language, translations
from reminders.i18n.phrasing import (
    day_phrase,
    duration_phrase,
    short_day_phrase,
    time_range_phrase,
    when_phrase,
    zone_phrase,
)
from reminders.inputs.meetings import Meeting, Series, Snapshot
from reminders.inputs.subscribers import Subscriber
from reminders.notices import changes
from reminders.publish.feed import FeedOptions, shown
from reminders.publish.links import (
    feed_url,
    google_event_url,
    map_url,
    meeting_ics_url,
    outlook_event_url,
)
from reminders.tokens import make_token, stable_id

__all__ = [
    "LINE_LENGTH",
    "POLICY",
    "Identity",
    "Letter",
    "PersonalLinks",
    "TemplateProblem",
    "Templates",
    "compose",
    "compose_confirmation",
    "fill",
    "header_safe",
    "message_context",
    "personal_links",
    "shared_context",
    "template_for",
]

SUBJECT_LIMIT = 150
ENGLISH = Language(tag="en")
Gettext = Callable[[str], str]


def _identity(text: str) -> str:
    return text


_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]+")
_ENCODED_WORD = re.compile(r"=\?|\?=")


class _Policy(EmailPolicy):
    """SMTP policy that keeps List-Unsubscribe verbatim.

    Its URLs cannot be broken, and the email package would otherwise turn a line
    longer than 78 characters into encoded words, which no mail client reads as
    a URL. RFC 5322 allows such a line up to 998 characters; every other header
    is folded at 78 and every body line stays within 78 (7-bit encodings).
    """

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if name.lower() in VERBATIM and isinstance(value, str):
            first, *rest = value.split("\n")
            lines_safe = all(line.startswith(" ") for line in rest) and value.isascii()
            if not lines_safe or any(_UNSAFE.search(line) for line in (first, *rest)):
                raise ValueError(f"unsafe {name} header")
            return (name, value)
        return super().header_store_parse(name, value)


VERBATIM = frozenset({"list-unsubscribe"})
LINE_LENGTH = 78
POLICY = _Policy(linesep="\r\n", max_line_length=LINE_LENGTH, refold_source="none")


def header_safe(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """Make text fit for one header line: no controls, separators or encoded words."""
    cleaned = _UNSAFE.sub(" ", text)
    cleaned = _ENCODED_WORD.sub(lambda m: m.group(0)[0] + " " + m.group(0)[1], cleaned)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


class TemplateProblem(DataError):
    """An email template is missing or fails to render."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Letter:
    """A rendered message: subject, plain text and HTML, in one language."""

    subject: str
    text: str
    html: str
    language: str = "en"


class Templates:
    """The email templates: plain-text ones unescaped, HTML ones autoescaped, both strict.

    Each language gets its own pair of environments with its gettext catalog
    installed (Jinja2's i18n extension, new-style ``_("... %(name)s", name=x)``).
    """

    def __init__(self, folder: Path, locales: Path | None = None) -> None:
        self.folder = folder / "email"
        self.locales = locales or folder.parent / "locale"
        self.environments: dict[str, tuple[Environment, Environment]] = {}

    def _environments(self, language: Language) -> tuple[Environment, Environment]:
        if language.tag not in self.environments:
            common: dict[str, Any] = {
                "loader": FileSystemLoader(self.folder),
                "undefined": StrictUndefined,
                "keep_trailing_newline": True,
                "trim_blocks": True,
                "extensions": ["jinja2.ext.i18n"],
            }
            text = Environment(autoescape=False, **common)
            html = Environment(autoescape=True, lstrip_blocks=True, **common)
            gettext = translations(self.locales, language)
            for env in (text, html):
                env.install_gettext_translations(gettext, newstyle=True)  # type: ignore[attr-defined]
            self.environments[language.tag] = (text, html)
        return self.environments[language.tag]

    def render(self, kind: str, context: Mapping[str, Any], language: Language = ENGLISH) -> Letter:
        """Render one kind of message (``reminder``, ...) in ``language``."""
        text, html = self._environments(language)
        context = {**context, "language": language}
        try:
            return Letter(
                subject=text.get_template(f"{kind}.subject.j2").render(context),
                text=text.get_template(f"{kind}.txt.j2").render(context),
                html=html.get_template(f"{kind}.html.j2").render(context),
                language=language.tag,
            )
        except TemplateError as error:
            where = getattr(error, "filename", None) or self.folder
            line = getattr(error, "lineno", None)
            message = f"{kind} template: {error.message or type(error).__name__}"
            raise TemplateProblem([Problem(path=where, line=line, message=message)]) from None

    def gettext(self, language: Language) -> Callable[[str], str]:
        """The translate function of ``language``, for strings made in Python."""
        return translations(self.locales, language).gettext


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """Who the messages come from, and the list they belong to."""

    sender: Address
    reply_to: Address | None
    domain: str
    list_name: str
    secret: bytes
    base_url: str

    @property
    def list_id(self) -> str:
        return f"{header_safe(self.list_name, 60)} <reminders.{self.domain}>"


TEMPLATES = {"reminder": "reminder", "venue": "venue", "change": "change", "cancel": "cancelled"}


def template_for(kind: str) -> str:
    """The template family of a delivery kind: ``reminder:3d`` -> ``reminder``."""
    return TEMPLATES[kind.split(":", 1)[0]]


def _meeting_context(meeting: Meeting, language: str, gettext: Gettext) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "title": meeting.access.text("title", language, meeting.title),
        "city": meeting.city,
        "venue": meeting.venue,
        "room": meeting.room,
        "address": meeting.address,
        "location": meeting.location or gettext("Location to be announced"),
        "notes": meeting.access.text("notes", language, meeting.notes),
        "status": meeting.status.value,
        "cancelled": meeting.cancelled,
        "start": meeting.start,
        "end": meeting.end,
        "timezone": meeting.zone.key,
        "when": when_phrase(meeting.start, meeting.end, language),
        "day": day_phrase(meeting.start, language),
        "day_short": short_day_phrase(meeting.start, language),
        "hours": time_range_phrase(meeting.start, meeting.end, language),
        "zone_name": zone_phrase(meeting.start, language),
        "access": meeting.access.lines(language, gettext),
    }


def _said(snapshot: Snapshot, field: str, zone: ZoneInfo, language: str, gettext: Gettext) -> str:
    """One side of a change, as a reader would say it."""
    if field == "when":
        start = datetime.fromisoformat(snapshot.start).astimezone(zone)
        end = datetime.fromisoformat(snapshot.end).astimezone(zone)
        return when_phrase(start, end, language)
    if field == "where":
        parts = (snapshot.venue, snapshot.room, snapshot.address)
        return (
            ", ".join(p for p in parts if p)
            if snapshot.venue
            else gettext("Location to be announced")
        )
    return gettext("cancelled") if snapshot.status == "cancelled" else gettext("confirmed")


def _changes_context(
    previous: Snapshot, meeting: Meeting, language: str, gettext: Gettext
) -> list[dict[str, str]]:
    labels = {"when": gettext("When:"), "where": gettext("Where:"), "status": gettext("Status:")}
    current = Snapshot.of(meeting)
    return [
        {
            "field": change.field,
            "label": labels[change.field],
            "old": _said(change.old, change.field, meeting.zone, language, gettext),
            "new": _said(change.new, change.field, meeting.zone, language, gettext),
        }
        for change in changes(previous, current)
    ]


def shared_context(
    meeting: Meeting,
    series: Series,
    options: FeedOptions,
    now: datetime,
    language: str = "en",
    gettext: Gettext = _identity,
) -> dict[str, Any]:
    """The part of the context that is the same for everyone (computed once per batch)."""
    view = shown(meeting, options)
    until = meeting.start.astimezone(UTC) - now.astimezone(UTC)
    return {
        "meeting": _meeting_context(meeting, language, gettext),
        "offset": {"text": duration_phrase(until, language), "duration": until},
        "links": {
            "google": google_event_url(meeting, view.description),
            "outlook": outlook_event_url(meeting, view.description),
            "ics": meeting_ics_url(options.base_url, meeting),
            "page": view.url,
            "map": map_url(meeting),
            "feed": feed_url(options.base_url),
        },
        "series": {
            "name": series.name,
            "organizer_name": series.organizer_name,
            "organizer_email": series.organizer_email,
        },
    }


def message_context(
    meeting: Meeting,
    subscriber: Subscriber,
    series: Series,
    options: FeedOptions,
    personal: PersonalLinks,
    now: datetime,
    previous: Snapshot | None = None,
    shared: Mapping[str, Any] | None = None,
    language: str = "en",
    gettext: Gettext = _identity,
) -> dict[str, Any]:
    """The template context documented in the README.

    ``offset.text`` says how far off the meeting really is at ``now`` ("in 3
    days"), so a late reminder never claims more time than is left. ``shared``
    is :func:`shared_context`'s result, when the caller keeps it for a batch.
    """
    base = shared
    if base is None:
        base = shared_context(meeting, series, options, now, language, gettext)
    return {
        **base,
        "subscriber": {"name": subscriber.name, "language": subscriber.language},
        "changes": _changes_context(previous, meeting, language, gettext) if previous else [],
        "links": {**base["links"], "preferences": personal.preferences},
        "unsubscribe_url": personal.unsubscribe,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonalLinks:
    """One person's links, each carrying an opaque signed token (never the address)."""

    unsubscribe: str
    preferences: str
    mailto: str


# Markers a stencil carries where a person's name and links go (see sending._Sender).
NAME_MARK = "\ue000name\ue001"
LINK_MARKS = PersonalLinks(
    unsubscribe="\ue000unsubscribe\ue001",
    preferences="\ue000preferences\ue001",
    mailto="\ue000mailto\ue001",
)


def fill(stencil: Letter, name: str, links: PersonalLinks) -> Letter:
    """Put one person's name and links where a stencil's markers are."""
    plain = {
        NAME_MARK: name,
        LINK_MARKS.unsubscribe: links.unsubscribe,
        LINK_MARKS.preferences: links.preferences,
    }

    def put(text: str, escape_html: bool) -> str:
        for mark, value in plain.items():
            if mark in text:
                text = text.replace(mark, str(escape(value)) if escape_html else value)
        return text

    return Letter(
        subject=put(stencil.subject, False),
        text=put(stencil.text, False),
        html=put(stencil.html, True),
        language=stencil.language,
    )


def personal_links(identity: Identity, address: str) -> PersonalLinks:
    """The one-click unsubscribe URL, the preferences URL and the mailto: fallback."""
    leave = make_token(identity.secret, address, "unsubscribe")
    prefs = make_token(identity.secret, address, "preferences")
    return PersonalLinks(
        unsubscribe=f"{identity.base_url}unsubscribe?token={quote(leave)}",
        preferences=f"{identity.base_url}preferences?token={quote(prefs)}",
        mailto=f"mailto:{identity.sender.addr_spec}?subject={quote('unsubscribe ' + leave)}",
    )


def message_id(identity: Identity, meeting_id: str, kind: str, recipient: str) -> str:
    """A Message-ID unique to one delivery, on the configured domain, opaque."""
    return f"<{stable_id(identity.secret, meeting_id, kind, recipient.lower())}@{identity.domain}>"


def _addressed(
    letter: Letter, identity: Identity, subscriber: Subscriber, now: datetime
) -> EmailMessage:
    """A message from the list to one person, with its subject and date."""
    message = EmailMessage(policy=POLICY)
    message["From"] = identity.sender
    message["To"] = Address(header_safe(subscriber.name, 80), addr_spec=subscriber.email)
    if identity.reply_to is not None:
        message["Reply-To"] = identity.reply_to
    message["Subject"] = header_safe(letter.subject)
    message["Date"] = format_datetime(now)
    return message


def compose_confirmation(
    letter: Letter, *, identity: Identity, subscriber: Subscriber, signup_id: str, now: datetime
) -> EmailMessage:
    """Build a sign-up confirmation: text and HTML, no list headers (not on the list yet)."""
    message = _addressed(letter, identity, subscriber, now)
    message["Message-ID"] = message_id(identity, "signup", signup_id, subscriber.email)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(letter.text, cte="quoted-printable")
    message.add_alternative(letter.html, subtype="html", cte="quoted-printable")
    message["Content-Language"] = letter.language  # after set_content, which clears Content-*
    return message


def compose(
    letter: Letter,
    *,
    identity: Identity,
    subscriber: Subscriber,
    meeting: Meeting,
    kind: str,
    calendar: bytes,
    now: datetime,
) -> EmailMessage:
    """Build the message: multipart/mixed of text+HTML alternatives and the .ics."""
    links = personal_links(identity, subscriber.email)
    message = _addressed(letter, identity, subscriber, now)
    message["Message-ID"] = message_id(identity, meeting.id, kind, subscriber.email)
    message["List-Id"] = identity.list_id
    message["List-Unsubscribe"] = f"<{links.unsubscribe}>,\n <{links.mailto}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(letter.text, cte="quoted-printable")
    message.add_alternative(letter.html, subtype="html", cte="quoted-printable")
    message.make_mixed()
    attachment = EmailMessage(policy=POLICY)
    attachment.set_content(
        calendar,
        maintype="text",
        subtype="calendar",
        cte="base64",
        params={"method": "PUBLISH", "charset": "utf-8"},
        filename=f"{meeting.id}.ics",
    )
    message.attach(attachment)
    # Last: set_content and make_mixed move or clear every Content-* header before them.
    message["Content-Language"] = letter.language
    return message
