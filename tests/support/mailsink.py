"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it accepts.

Tests program its faults at every stage of the session: a reply for the next
EHLO, MAIL FROM, RCPT TO, DATA command or end of data, a reply for chosen
recipients, a connection dropped at a stage, an EHLO reply trickled line by
line, a delay. It offers PIPELINING (RFC 2920) as Postfix does, unless told
not to, and STARTTLS or TLS from the first byte when given a certificate (see
:func:`tests.support.imapserver.self_signed`). :class:`RefusingServer` greets with
a refusal.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session


@dataclass
class Received:
    """One accepted message: its envelope and the parsed message."""

    sender: str
    recipients: list[str]
    data: bytes
    message: EmailMessage


@dataclass
class Faults:
    """What the server should get wrong, set by the test."""

    mail_replies: list[str] = field(default_factory=list)  # one per MAIL FROM, in order
    rcpt_queue: list[str] = field(default_factory=list)  # one per RCPT TO, in order
    data_replies: list[str] = field(default_factory=list)  # one per DATA, consumed in order
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # address -> reply, every time
    rcpt_once: dict[str, str] = field(default_factory=dict)  # address -> reply, the first time
    data_for: dict[str, str] = field(default_factory=dict)  # address -> reply after its DATA
    drop_after: int | None = None  # close the connection at this DATA (accepting none)
    delay: float = 0.0  # seconds before each DATA reply
    ehlo_replies: list[str] = field(default_factory=list)  # one per EHLO, in order
    data_command_replies: list[str] = field(default_factory=list)  # to DATA, before the message
    drop_at: list[str] = field(default_factory=list)  # "mail", "rcpt", "data": close there, once
    trickle: tuple[int, float] | None = None  # next EHLO: N "250-" lines, S seconds apart


class MailSink:
    """aiosmtpd handler that records accepted messages and plays faults."""

    def __init__(self, pipelining: bool = True) -> None:
        self.pipelining = pipelining
        self.received: list[Received] = []
        self.faults = Faults()
        self.lock = threading.Lock()
        self.data_count = 0

    def dropped(self, server: SMTP, stage: str) -> bool:
        """Close the connection if the test asked for it at ``stage`` (once)."""
        if stage not in self.faults.drop_at:
            return False
        self.faults.drop_at.remove(stage)
        assert server.transport is not None
        server.transport.close()
        return True

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does itself when there is no hook
        if not self.pipelining:
            return responses
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.dropped(server, "mail"):
            return "421 closing"
        if self.faults.mail_replies:
            return self.faults.mail_replies.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.dropped(server, "rcpt"):
            return "421 closing"
        reply = self.faults.rcpt_replies.get(address.lower()) or self.faults.rcpt_once.pop(
            address.lower(), None
        )
        if reply:
            return reply
        if self.faults.rcpt_queue:
            return self.faults.rcpt_queue.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.faults.delay:
            # Other connections go on meanwhile, as with a real server.
            await asyncio.sleep(self.faults.delay)
        with self.lock:
            self.data_count += 1
            if self.faults.drop_after is not None and self.data_count == self.faults.drop_after:
                assert server.transport is not None
                server.transport.close()
                return "421 closing"
            if self.faults.data_replies:
                return self.faults.data_replies.pop(0)
            refused = [
                self.faults.data_for[r.lower()]
                for r in envelope.rcpt_tos
                if r.lower() in self.faults.data_for
            ]
            if refused:
                return refused[0]
            data = bytes(envelope.content or b"")  # type: ignore[arg-type]
            parsed = email.message_from_bytes(data, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            self.received.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), data, parsed)
            )
        return "250 Message accepted"

    def to(self, address: str) -> list[Received]:
        """Messages whose envelope recipient is ``address``."""
        return [r for r in self.received if address in r.recipients]


class FaultySMTP(SMTP):
    """aiosmtpd's server with faults at EHLO and at the DATA command itself."""

    def __init__(self, handler: MailSink, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.faults = handler.faults

    async def smtp_EHLO(self, hostname: str) -> None:
        if self.faults.ehlo_replies:
            await self.push(self.faults.ehlo_replies.pop(0))
            return
        if self.faults.trickle is not None:
            (lines, pause), self.faults.trickle = self.faults.trickle, None  # once
            for _ in range(lines):
                await self.push("250-still thinking")
                await asyncio.sleep(pause)
        await super().smtp_EHLO(hostname)

    async def smtp_DATA(self, arg: str) -> None:
        if self.faults.data_command_replies:
            await self.push(self.faults.data_command_replies.pop(0))
            return
        if "data" in self.faults.drop_at:
            self.faults.drop_at.remove("data")
            assert self.transport is not None
            self.transport.close()
            return
        await super().smtp_DATA(arg)


class _Controller(Controller):
    def factory(self) -> SMTP:
        assert isinstance(self.handler, MailSink)
        return FaultySMTP(self.handler, **self.SMTP_kwargs)


def _refuse(*args: Any) -> AuthResult:
    return AuthResult(success=False, handled=False)


def free_port() -> int:
    """A port of 127.0.0.1 free a moment ago (aiosmtpd's controller cannot take 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SinkServer:
    """Start and stop the sink on a free port of 127.0.0.1."""

    def __init__(
        self,
        refuse_login: bool = False,
        password: str | None = None,
        pipelining: bool = True,
        tls: tuple[Path, Path] | None = None,
        implicit_tls: bool = False,
    ) -> None:
        """``tls`` (a certificate and its key) offers STARTTLS, or with ``implicit_tls``
        speaks TLS from the first byte, as port 465 does."""
        self.sink = MailSink(pipelining)
        self.tls, self.implicit_tls = tls, implicit_tls
        self.logins: list[str] = []  # the passwords clients logged in with
        login: dict[str, Any] = {}
        if refuse_login:  # AUTH offered (without TLS, on loopback) and always refused
            login = {"authenticator": _refuse, "auth_require_tls": False}
        elif password is not None:  # AUTH required, and this password accepted
            login = {
                "authenticator": self._check(password),
                "auth_require_tls": tls is not None,  # with TLS, as a provider: only inside it
                "auth_required": True,
            }
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            login |= {"ssl_context": context} if implicit_tls else {"tls_context": context}
        self.controller = _Controller(self.sink, hostname="127.0.0.1", port=free_port(), **login)

    def _check(self, password: str) -> Callable[..., AuthResult]:
        def check(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            given = data.password.decode() if isinstance(data.password, bytes) else data.password
            self.logins.append(given)
            return AuthResult(success=given == password, handled=False)

        return check

    def __enter__(self) -> SinkServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def url(self) -> str:
        if self.tls is None:
            return f"smtp://127.0.0.1:{self.port}?starttls=off"
        return f"{'smtps' if self.implicit_tls else 'smtp'}://127.0.0.1:{self.port}"


class RefusingServer:
    """A server on 127.0.0.1 that greets every connection with ``reply`` and hangs up."""

    def __init__(self, reply: str = "554 5.3.2 no service here") -> None:
        self.reply = reply
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with client:
                client.sendall(f"{self.reply}\r\n".encode())

    def __enter__(self) -> RefusingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=off"
