"""Message assembly: headers that are safe, and the reference composition of each message.

Pure: a rendered letter, the sender's identity and one person in, an
``EmailMessage`` out, one recipient per message. Every header-bound value
passes through :func:`header_safe`, because the Python of these machines
(3.11.7) still lets a CR/LF hidden in an encoded word or a trailing newline
into headers (CVE-2024-6923): control characters, Unicode line separators
and encoded-word markers never reach a header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from reminders.attendance import answer_id
from reminders.inputs.meetings import Meeting
from reminders.inputs.subscribers import Subscriber
from reminders.inputs.text import HEADER_BREAKING
from reminders.mail.context import PersonalLinks
from reminders.mail.templates import Letter
from reminders.tokens import Secret, make_token, sign, stable_id

__all__ = [
    "LINE_LENGTH",
    "POLICY",
    "Identity",
    "compose",
    "compose_confirmation",
    "compose_summary",
    "header_safe",
    "message_id",
    "personal_links",
]


SUBJECT_LIMIT = 150


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
            if not lines_safe or any(HEADER_BREAKING.search(line) for line in (first, *rest)):
                raise ValueError(f"unsafe {name} header")
            return (name, value)
        return super().header_store_parse(name, value)


VERBATIM = frozenset({"list-unsubscribe"})

LINE_LENGTH = 78

POLICY = _Policy(linesep="\r\n", max_line_length=LINE_LENGTH, refold_source="none")


def header_safe(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """Make text fit for one header line: no controls, separators or encoded words."""
    cleaned = HEADER_BREAKING.sub(" ", text)
    cleaned = _ENCODED_WORD.sub(lambda m: m.group(0)[0] + " " + m.group(0)[1], cleaned)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """Who the messages come from, and the list they belong to."""

    sender: Address
    reply_to: Address | None
    domain: str
    list_name: str
    secret: Secret
    base_url: str

    @property
    def list_id(self) -> str:
        return f"{header_safe(self.list_name, 60)} <reminders.{self.domain}>"


# A preferences link opens a page that shows the person's choices: an old forwarded
# email must not keep telling whether someone is on the list.
PREFERENCES_FOR = timedelta(days=30)


def personal_links(
    identity: Identity, address: str, now: datetime, meeting: Meeting | None = None
) -> PersonalLinks:
    """The one-click unsubscribe URL, the preferences URL and the mailto: fallback.

    Leaving works for ever; the preferences link expires :data:`PREFERENCES_FOR` after
    ``now``. With a ``meeting``, also the token of the person's answer links for it,
    bound to that meeting and valid until it ends.
    """
    leave = make_token(identity.secret, address, "unsubscribe")
    prefs = make_token(identity.secret, address, "preferences", now + PREFERENCES_FOR)
    rsvp = ""
    if meeting is not None:
        ident = answer_id(identity.secret.current, meeting.id, address)
        rsvp = quote(sign(identity.secret, f"{ident}:{meeting.id}", "rsvp", meeting.end))
    return PersonalLinks(
        unsubscribe=f"{identity.base_url}unsubscribe?token={quote(leave)}",
        preferences=f"{identity.base_url}preferences?token={quote(prefs)}",
        mailto=f"mailto:{identity.sender.addr_spec}?subject={quote('unsubscribe ' + leave)}",
        rsvp=rsvp,
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


def _standalone(
    letter: Letter, identity: Identity, person: Subscriber, mid: str, now: datetime
) -> EmailMessage:
    """A message that is not of the list (no list headers): text and HTML."""
    message = _addressed(letter, identity, person, now)
    message["Message-ID"] = mid
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(letter.text, cte="quoted-printable")
    message.add_alternative(letter.html, subtype="html", cte="quoted-printable")
    message["Content-Language"] = letter.language  # after set_content, which clears Content-*
    return message


def compose_confirmation(
    letter: Letter, *, identity: Identity, subscriber: Subscriber, signup_id: str, now: datetime
) -> EmailMessage:
    """Build a sign-up confirmation (not on the list yet, so no list headers)."""
    mid = message_id(identity, "signup", signup_id, subscriber.email)
    return _standalone(letter, identity, subscriber, mid, now)


def compose_summary(
    letter: Letter, *, identity: Identity, to: Address, day: str, now: datetime
) -> EmailMessage:
    """Build the organizers' daily attendance summary, one Message-ID per day."""
    organizers = Subscriber(email=to.addr_spec, name=to.display_name)
    mid = message_id(identity, "attendance", day, to.addr_spec)
    return _standalone(letter, identity, organizers, mid, now)


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
    links = personal_links(identity, subscriber.email, now, meeting)
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
