"""Where messages go: a Maildir outbox (the embedded default), or an SMTP server.

:func:`open_transport` makes the one ``[mail] transport`` names; both speak
:class:`~reminders.mail.handover.Transport`.
"""

from __future__ import annotations

import mailbox
import os
from collections.abc import Callable
from pathlib import Path

from reminders.mail.handover import Envelope, Transport, TransportError, at_once, none_next
from reminders.mail.smtp import PASSWORD_ENV, SmtpTransport, parse_smtp_url

__all__ = ["MaildirTransport", "open_transport"]


class MaildirTransport:
    """Write each message into a Maildir folder (the embedded default: no server)."""

    def __init__(self, path: Path) -> None:
        try:
            # Messages hold addresses: the outbox and the folders above it are the owner's.
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.box = mailbox.Maildir(path, create=True)
        except OSError as error:
            raise TransportError(f"outbox {path}: {error.strerror or error}") from None
        self.path = path

    def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        ready: Callable[[], None] = at_once,
        following: Callable[[], Envelope | None] = none_next,
    ) -> None:
        ready()
        try:
            # Maildir's own add() writes to tmp/ then links into new/: atomic. Files in a
            # Maildir use the local line end.
            self.box.add(message.replace(b"\r\n", b"\n"))
        except OSError as error:
            raise TransportError(f"outbox {self.path}: {error.strerror or error}") from None

    def close(self) -> None:
        self.box.close()


def open_transport(
    spec: str, root: Path, *, timeout: float = 30, max_per_minute: int = 0, helo: str | None = None
) -> Transport:
    """Make the transport that ``[mail] transport`` names (paths relative to ``root``)."""
    if spec.startswith("maildir:"):
        return MaildirTransport(root / spec.removeprefix("maildir:"))
    return SmtpTransport(
        parse_smtp_url(spec),
        timeout=timeout,
        max_per_minute=max_per_minute,
        helo=helo,
        password=os.environ.get(PASSWORD_ENV),
    )
