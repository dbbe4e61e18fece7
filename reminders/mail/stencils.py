"""Composing a batch fast: the parts shared by every recipient are built once.

Building each message from scratch with ``EmailMessage`` costs milliseconds
of header parsing, several times what handing it to a local SMTP server
costs. A :class:`Prototype` is the reference composition
(:func:`reminders.compose.compose`) done once per meeting, kind and
language, with placeholders where a person's data goes, cut into segments.
A message is then the segments joined with that person's parts, each
encoded as the email package encodes it: the bodies with
``email.quoprimime`` exactly as ``set_content`` does, and headers through the
policy's own folding unless they are short plain ASCII, which folds to
itself. Tests compare the bytes with the reference composition.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from email import quoprimime
from email.headerregistry import Address
from email.message import EmailMessage
from functools import lru_cache

from markupsafe import escape

from reminders.inputs.meetings import Meeting
from reminders.inputs.subscribers import Subscriber
from reminders.kinds import Kind
from reminders.mail.assembly import (
    LINE_LENGTH,
    POLICY,
    Identity,
    compose,
    header_safe,
    message_id,
    personal_links,
)
from reminders.mail.context import PersonalLinks
from reminders.mail.templates import Letter

__all__ = ["LINK_MARKS", "NAME_MARK", "MessageStencil", "fill", "set_boundaries"]

PLACEHOLDER = Subscriber(email="recipient@placeholder.invalid", name="")
_TEXT, _HTML, _SUBJECT = "@@TEXT-PART@@", "@@HTML-PART@@", "@@SUBJECT@@"
_PLAIN = re.compile(r"^[A-Za-z0-9 !#$%&'*+\-/=?^_`{|}~.,:;()\[\]]*$")
_NAME = re.compile(r"^[A-Za-z0-9]+(?: [A-Za-z0-9]+)*$")


# Where a letter stencil carries a person's name and links.
NAME_MARK = "\ue000name\ue001"

LINK_MARKS = PersonalLinks(
    unsubscribe="\ue000unsubscribe\ue001",
    preferences="\ue000preferences\ue001",
    mailto="\ue000mailto\ue001",
    rsvp="\ue000rsvp\ue001",
)


def fill(stencil: Letter, name: str, links: PersonalLinks) -> Letter:
    """Put one person's name and links where a stencil's markers are."""
    plain = {
        NAME_MARK: name,
        LINK_MARKS.unsubscribe: links.unsubscribe,
        LINK_MARKS.preferences: links.preferences,
        LINK_MARKS.rsvp: links.rsvp,
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


def set_boundaries(message: EmailMessage, outer: str, inner: str) -> None:
    """Fix the multipart boundaries (the email package would pick random ones)."""
    message.set_boundary(outer)
    alternative = message.get_payload(0)
    assert isinstance(alternative, EmailMessage)
    alternative.set_boundary(inner)


class MessageStencil:
    """One meeting's message for one kind, composed once; see the module docstring."""

    def __init__(
        self,
        *,
        identity: Identity,
        meeting: Meeting,
        kind: Kind,
        calendar: bytes,
        now: datetime,
        language: str = "en",
    ) -> None:
        self.identity, self.meeting, self.kind, self.now = identity, meeting, kind, now
        self.outer = "===============" + secrets.token_hex(8) + "=="
        self.inner = "===============" + secrets.token_hex(8) + "=="
        letter = Letter(subject=_SUBJECT, text=_TEXT, html=_HTML, language=language)
        message = compose(
            letter,
            identity=identity,
            subscriber=PLACEHOLDER,
            meeting=meeting,
            kind=kind,
            calendar=calendar,
            now=now,
        )
        set_boundaries(message, self.outer, self.inner)
        self.segments = self._cut(message.as_bytes())

    def _cut(self, data: bytes) -> tuple[bytes, ...]:
        placeholder_links = personal_links(self.identity, PLACEHOLDER.email, self.now)
        marks = [
            f"To: {PLACEHOLDER.email}\r\n",
            f"Subject: {_SUBJECT}\r\n",
            f"Message-ID: {self._message_id(PLACEHOLDER.email)}\r\n",
            f"List-Unsubscribe: <{placeholder_links.unsubscribe}>,\r\n"
            f" <{placeholder_links.mailto}>\r\n",
            f"{_TEXT}\r\n",
            f"{_HTML}\r\n",
        ]
        pieces, rest = [], data
        for mark in marks:
            before, found, rest = rest.partition(mark.encode("ascii"))
            if not found:
                raise AssertionError(f"stencil lacks {mark!r}")  # a change in the email package
            pieces.append(before)
        return (*pieces, rest)

    def _message_id(self, address: str) -> str:
        return message_id(self.identity, self.meeting.id, self.kind, address)

    def render(
        self, letter: Letter, person: Subscriber, links: PersonalLinks | None = None
    ) -> tuple[bytes, str]:
        """Return one person's message (CRLF bytes) and its Message-ID.

        ``links`` are the person's links when the caller has made them already.
        """
        links = links or personal_links(self.identity, person.email, self.now, self.meeting)
        mid = self._message_id(person.email)
        unsubscribe = f"List-Unsubscribe: <{links.unsubscribe}>,\r\n <{links.mailto}>\r\n"
        personal = (
            _to(person),
            _unstructured("Subject", header_safe(letter.subject)),
            _short_or_folded("Message-ID", mid),
            unsubscribe.encode("ascii"),
            _quoted_printable(letter.text),
            _quoted_printable(letter.html),
        )
        pieces = [part for pair in zip(self.segments, personal, strict=False) for part in pair]
        return b"".join((*pieces, self.segments[-1])), mid


def _quoted_printable(text: str) -> bytes:
    """Encode a body as ``EmailMessage.set_content(text, cte="quoted-printable")`` does.

    Quoted-printable encodes each line on its own, so a line is encoded once
    per run: only the lines with a person's name or links differ per message.
    """
    lines = text.encode("utf-8").splitlines() or [b""]  # an empty body is one empty line
    return b"".join(map(_quoted_line, lines))


@lru_cache(maxsize=4096)
def _quoted_line(line: bytes) -> bytes:
    encoded = quoprimime.body_encode(line.decode("latin-1") + "\n", LINE_LENGTH, "\r\n")
    return encoded.encode("ascii")


def _folded(name: str, value: object) -> bytes:
    scratch = EmailMessage(policy=POLICY)
    scratch[name] = value
    return POLICY.fold_binary(name, scratch[name])


def _unstructured(name: str, value: str) -> bytes:
    line = f"{name}: {value}\r\n"
    if value and len(line) <= LINE_LENGTH + 2 and _PLAIN.match(value) and value == value.strip():
        return line.encode("ascii")
    return _folded(name, value)


def _short_or_folded(name: str, value: str) -> bytes:
    line = f"{name}: {value}\r\n"
    return line.encode("ascii") if len(line) <= 80 else _folded(name, value)


def _to(person: Subscriber) -> bytes:
    name = header_safe(person.name, 80)
    address = person.email
    if not name:
        line = f"To: {address}\r\n"
    elif _NAME.match(name):
        line = f"To: {name} <{address}>\r\n"
    else:
        line = ""
    if line and len(line) <= 80 and address.isascii():
        return line.encode("ascii")
    return _folded("To", Address(name, addr_spec=address))
