"""Handing messages over: a Maildir outbox, or an SMTP server.

Both speak one small protocol, :class:`Transport`. Failures are sorted by
what the sender must do: :class:`TemporaryFailure` (a 4xx reply, a dropped
connection: try this message again later), :class:`PermanentFailure` (a 5xx
for this recipient: never again), :class:`TransportError` (authentication,
TLS, an unreachable server or outbox: stop the run; nothing is recorded, so
everything due stays due).
"""

from __future__ import annotations

import contextlib
import mailbox
import os
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from reminders.errors import ReminderError

__all__ = [
    "PASSWORD_ENV",
    "MaildirTransport",
    "PermanentFailure",
    "SmtpTransport",
    "TemporaryFailure",
    "Transport",
    "TransportError",
    "open_transport",
]

PASSWORD_ENV = "REMINDERS_SMTP_PASSWORD"


class TemporaryFailure(Exception):
    """This message could not be sent now; it may be tried again later."""


class PermanentFailure(Exception):
    """The server refused this message or recipient for good."""


class TransportError(ReminderError):
    """Nothing can be sent now (authentication, TLS, server or outbox unreachable)."""

    exit_code = 3


class Transport(Protocol):
    """Somewhere messages go."""

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Hand over one message (CRLF line ends) for one recipient."""

    def close(self) -> None:
        """Release the connection, if any."""


class MaildirTransport:
    """Write each message into a Maildir folder (the embedded default: no server)."""

    def __init__(self, path: Path) -> None:
        try:
            self.box = mailbox.Maildir(path, create=True)
        except OSError as error:
            raise TransportError(f"outbox {path}: {error.strerror or error}") from None
        self.path = path

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        try:
            # Maildir's own add() writes to tmp/ then links into new/: atomic. Files in a
            # Maildir use the local line end.
            self.box.add(message.replace(b"\r\n", b"\n"))
        except OSError as error:
            raise TransportError(f"outbox {self.path}: {error.strerror or error}") from None

    def close(self) -> None:
        self.box.close()


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpAddress:
    """Where and how to reach an SMTP server, from ``smtp://user@host:port?starttls=off``."""

    host: str
    port: int
    user: str | None
    implicit_tls: bool
    starttls: bool


def parse_smtp_url(url: str) -> SmtpAddress:
    """Read an ``smtp://`` or ``smtps://`` URL (the password never goes in it)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise TransportError(f"transport {url!r}: use maildir:PATH, smtp://host or smtps://host")
    if parts.password is not None:
        raise TransportError(f"transport: put the password in ${PASSWORD_ENV}, not in the URL")
    query = parse_qs(parts.query)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise TransportError(f"transport: unknown option {sorted(unknown)[0]!r}")
    starttls = query.get("starttls", ["on"])[-1]
    if starttls not in ("on", "off"):
        raise TransportError("transport: starttls must be 'on' or 'off'")
    implicit = parts.scheme == "smtps"
    return SmtpAddress(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 587),
        user=unquote(parts.username) if parts.username else None,
        implicit_tls=implicit,
        starttls=not implicit and starttls == "on",
    )


class SmtpTransport:
    """Send through one SMTP connection, reused for a batch and reopened when dropped."""

    def __init__(
        self,
        address: SmtpAddress,
        *,
        timeout: float = 30,
        max_per_minute: int = 0,
        helo: str | None = None,
        password: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.interval = 60 / max_per_minute if max_per_minute else 0.0
        self.helo = helo
        self.password = password
        self.sleep, self.clock = sleep, clock
        self.connection: smtplib.SMTP | None = None
        self.last_send = -float("inf")

    def _connect(self) -> smtplib.SMTP:
        a = self.address
        context = ssl.create_default_context()
        try:
            if a.implicit_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    a.host, a.port, local_hostname=self.helo, timeout=self.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(a.host, a.port, local_hostname=self.helo, timeout=self.timeout)
            smtp.ehlo()
            if a.starttls:
                if not smtp.has_extn("starttls"):
                    smtp.close()
                    raise TransportError(
                        f"SMTP server {a.host}:{a.port} does not offer STARTTLS; refusing to "
                        "send in plain text (add ?starttls=off only for a local relay)"
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
            if a.user:
                if self.password is None:
                    raise TransportError(f"SMTP user {a.user!r} needs ${PASSWORD_ENV}")
                smtp.login(a.user, self.password)
        except smtplib.SMTPAuthenticationError as error:
            raise TransportError(f"SMTP authentication failed: {error.smtp_code}") from None
        except (ssl.SSLError, ssl.CertificateError) as error:
            raise TransportError(f"SMTP TLS failed: {error}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise TransportError(f"SMTP server {a.host}:{a.port} unreachable: {error}") from None
        return smtp

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        if self.interval:
            wait = self.last_send + self.interval - self.clock()
            if wait > 0:
                self.sleep(wait)
        if self.connection is None:
            self.connection = self._connect()
        try:
            refused = self.connection.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            self._fail(code, reply)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            self._fail(error.smtp_code, error.smtp_error)
        except smtplib.SMTPResponseException as error:
            self._drop()
            self._fail(error.smtp_code, error.smtp_error)
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise TemporaryFailure(f"connection lost: {error or type(error).__name__}") from None
        finally:
            self.last_send = self.clock()
        if refused:  # only possible with several recipients; kept for completeness
            code, reply = next(iter(refused.values()))
            self._fail(code, reply)

    def _fail(self, code: int, reply: bytes | str) -> None:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        summary = f"{code} {' '.join(text.split())[:200]}"
        if 400 <= code < 500:
            if code == 421:
                self._drop()
            raise TemporaryFailure(summary)
        raise PermanentFailure(summary)

    def _drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self._drop()


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
