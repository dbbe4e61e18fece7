"""Sending through an SMTP server: the URL, one reused connection, bounded replies.

Every failure is judged by :func:`reminders.mail.outcomes.verdict` from the
stage of the session it came at. Each message's transaction is pipelined where
the server offers it (:mod:`reminders.mail.transaction`). Certificates are
verified; the password comes only from ``$REMINDERS_SMTP_PASSWORD``.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from reminders.mail.handover import (
    Envelope,
    PermanentFailure,
    SessionFailure,
    TemporaryFailure,
    TransportError,
    at_once,
    none_next,
)
from reminders.mail.outcomes import Stage, Trouble, Verdict, trouble_of, verdict
from reminders.mail.transaction import Pipeline, in_turn

__all__ = ["PASSWORD_ENV", "SmtpAddress", "SmtpTransport", "parse_smtp_url"]


PASSWORD_ENV = "REMINDERS_SMTP_PASSWORD"


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


class _Deadline:
    """A socket file whose reads share one deadline: a whole reply within the timeout.

    The first line is read under the socket's own timeout, which is the whole
    timeout; only later lines of a reply need the socket's timeout cut to what is
    left (most replies are one line, and setting a timeout is a system call).
    """

    def __init__(self, inner: Any, sock: socket.socket, timeout: float) -> None:
        self.inner, self.sock = inner, sock
        self.deadline = time.monotonic() + timeout
        self.lines = 0

    def readline(self, size: int = -1) -> bytes:
        if self.lines:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the reply took longer than the timeout")
            self.sock.settimeout(left)
        self.lines += 1
        line: bytes = self.inner.readline(size)
        return line

    def close(self) -> None:
        self.inner.close()


class _BoundedReplies(smtplib.SMTP):
    """smtplib, but a reply trickled line by line is bounded as a whole by the timeout.

    smtplib's timeout applies to each read, so a server sending a ``250-`` line
    every few seconds could hold a run for ever.
    """

    def connect(self, host: str = "localhost", *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        # smtplib checks the server's certificate (STARTTLS, or TLS from the start)
        # against the host given to its constructor; this class is made before it
        # connects, so without this the check has no name and refuses every server.
        self._host = host
        return super().connect(host, *args, **kwargs)

    def getreply(self) -> tuple[int, bytes]:
        if self.sock is None:
            return super().getreply()
        if self.file is None:
            self.file = self.sock.makefile("rb")
        inner = self.file
        deadline = self.file = _Deadline(inner, self.sock, float(self.timeout))
        try:
            return super().getreply()
        finally:
            if self.sock is not None and deadline.lines > 1:
                self.sock.settimeout(self.timeout)
            self.file = inner if self.file is not None else None


class _BoundedRepliesTls(_BoundedReplies, smtplib.SMTP_SSL):
    """The same over implicit TLS (``smtps://``)."""


class SmtpTransport:
    """Send through one SMTP connection, reused for a batch and reopened when dropped.

    Each failure is judged by :func:`reminders.mail.outcomes.verdict` from the
    stage it came at: the session's failures stop the run, a recipient's fail
    or retry that delivery.
    """

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
        self.pipeline = Pipeline()
        self.last_send = -float("inf")

    def _connect(self) -> smtplib.SMTP:
        a = self.address
        # Loading the system's certificates takes 30 ms: only for a connection that uses them.
        context = ssl.create_default_context() if a.implicit_tls or a.starttls else None
        smtp: smtplib.SMTP = (
            _BoundedRepliesTls(local_hostname=self.helo, timeout=self.timeout, context=context)
            if a.implicit_tls
            else _BoundedReplies(local_hostname=self.helo, timeout=self.timeout)
        )
        stage = Stage.CONNECT
        try:
            code, reply = smtp.connect(a.host, a.port)
            # Each write is a whole command or a whole part of a message, and a message's end
            # follows its body at once: Nagle's wait for an ACK (delayed 40 ms) would stall it.
            assert smtp.sock is not None  # connect() made it, or raised
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            stage = Stage.GREETING
            self._expect(code, reply, stage, {220})
            stage = Stage.EHLO
            self._expect(*smtp.ehlo(), stage, {250})
            if a.starttls:
                stage = Stage.STARTTLS
                if not smtp.has_extn("starttls"):
                    raise SessionFailure(
                        f"SMTP server {a.host}:{a.port} does not offer STARTTLS; refusing to "
                        "send in plain text (add ?starttls=off only for a local relay)"
                    )
                smtp.starttls(context=context)
                stage = Stage.EHLO
                self._expect(*smtp.ehlo(), stage, {250})
            if a.user:
                stage = Stage.AUTH
                if self.password is None:
                    raise SessionFailure(f"SMTP user {a.user!r} needs ${PASSWORD_ENV}")
                smtp.login(a.user, self.password)
        except SessionFailure:
            smtp.close()
            raise
        except smtplib.SMTPAuthenticationError as error:
            smtp.close()
            raise SessionFailure(f"SMTP authentication failed: {error.smtp_code}") from None
        except (ssl.SSLError, ssl.CertificateError) as error:
            smtp.close()
            raise SessionFailure(f"SMTP TLS failed: {error}") from None
        except (OSError, smtplib.SMTPException) as error:
            smtp.close()
            reason = _reason(error)
            if stage is Stage.CONNECT:
                raise SessionFailure(
                    f"SMTP server {a.host}:{a.port} unreachable: {reason}"
                ) from None
            raise SessionFailure(f"SMTP {stage} failed at {a.host}:{a.port}: {reason}") from None
        return smtp

    @staticmethod
    def _expect(code: int, reply: bytes, stage: Stage, good: set[int]) -> None:
        if code not in good:
            raise smtplib.SMTPResponseException(code, reply)

    @property
    def pipelining(self) -> bool:
        """Whether the open connection's server offers PIPELINING (RFC 2920)."""
        return self.connection is not None and bool(self.connection.has_extn("pipelining"))

    def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        ready: Callable[[], None] = at_once,
        following: Callable[[], Envelope | None] = none_next,
    ) -> None:
        envelope = Envelope(sender, recipient)
        if self.pipeline.ahead not in (None, envelope):
            self._drop()  # the server may be waiting for that message: only a hang-up ends it
        if self.interval:
            following = none_next  # each message is paced on its own
            wait = self.last_send + self.interval - self.clock()
            if wait > 0:
                self.sleep(wait)
        if self.connection is None:
            self.connection = self._connect()
        smtp, stage = self.connection, Stage.MAIL
        steps = (
            self.pipeline.steps(smtp, envelope, message, ready, following)
            if self.pipelining
            else in_turn(smtp, envelope, message, ready)
        )
        try:
            # A failure is judged by the stage last reached.
            for stage in steps:  # noqa: B007
                pass
        except smtplib.SMTPResponseException as error:
            if self.pipeline.ahead is not None:
                self._drop()  # the envelope sent ahead has replies to come: start afresh
            self._judge(stage, trouble_of(error.smtp_code), _summary(error))
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            timed_out = isinstance(error, TimeoutError) or "timed out" in str(error)
            trouble = Trouble.TIMEOUT if timed_out else Trouble.DROP
            self._judge(stage, trouble, f"connection lost: {_reason(error)}")
        finally:
            self.last_send = self.clock()
            if smtp.sock is None:  # hung up to end a transaction: the next message reconnects
                self._drop()

    def _judge(self, stage: Stage, trouble: Trouble, summary: str) -> None:
        """Raise what ``verdict`` decides for a failure at ``stage``."""
        judged = verdict(stage, trouble)
        if judged is Verdict.STOP:
            self._drop()
            raise SessionFailure(f"SMTP {stage} failed: {summary}")
        self._reset()
        if judged is Verdict.RETRY:
            raise TemporaryFailure(f"{stage}: {summary}")
        raise PermanentFailure(f"{stage}: {summary}")

    def _reset(self) -> None:
        """End a refused transaction so the connection can carry the next message."""
        if self.connection is not None:
            try:
                self.connection.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()

    def _drop(self) -> None:
        self.pipeline.ahead = None
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def close(self) -> None:
        if self.pipeline.ahead is not None:
            self._drop()  # the server awaits the message sent ahead: QUIT would be read as it
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self._drop()


def _reason(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _summary(error: smtplib.SMTPResponseException) -> str:
    reply = error.smtp_error
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{error.smtp_code} {' '.join(text.split())[:200]}"
