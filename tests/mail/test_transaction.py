"""One message's SMTP transaction: pipelined where the server offers it, in turn where not.

Most of these run against raw peers on 127.0.0.1 that play one side of the
dialogue by hand, which is the only way to see what arrived before which reply;
the rest against aiosmtpd, with and without PIPELINING.
"""

from __future__ import annotations

import smtplib
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reminders.mail.handover import Envelope, PermanentFailure, SessionFailure, TemporaryFailure
from reminders.mail.smtp import SmtpTransport, parse_smtp_url
from reminders.mail.transaction import stuffed
from tests.support.imapserver import self_signed
from tests.support.mailsink import SinkServer

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12

Script = Callable[[socket.socket, BinaryIO], None]

MESSAGE = b"Subject: dots\r\n\r\n.a line that starts with a dot\r\n..and two\r\n.\r\nlast line"


class Peer:
    """A raw SMTP server on 127.0.0.1 that plays one script per connection, in turn."""

    def __init__(self, *scripts: Script) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.scripts = scripts
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for script in self.scripts:
            client, _ = self.listener.accept()
            with client, client.makefile("rb") as lines:
                try:
                    script(client, lines)
                except Exception as error:  # the test reads it from self.errors
                    self.errors.append(error)

    def transport(self) -> SmtpTransport:
        return SmtpTransport(
            parse_smtp_url(f"smtp://127.0.0.1:{self.port}?starttls=off"), timeout=2
        )

    def finish(self) -> None:
        self.thread.join(timeout=5)
        self.listener.close()
        assert not self.thread.is_alive()
        assert self.errors == []


def say(client: socket.socket, *replies: str) -> None:
    client.sendall("".join(f"{reply}\r\n" for reply in replies).encode())


def read(lines: BinaryIO) -> str:
    return lines.readline().decode().rstrip("\r\n")


def greet(client: socket.socket, lines: BinaryIO, *, pipelining: bool) -> None:
    say(client, "220 peer ESMTP")
    assert read(lines).startswith("ehlo ")
    say(client, "250-peer", "250-PIPELINING" if pipelining else "250-8BITMIME", "250 HELP")


def message_after_354(client: socket.socket, lines: BinaryIO) -> bytes:
    say(client, "354 go ahead")
    return message(lines)


def message(lines: BinaryIO) -> bytes:
    body = b""
    while (line := lines.readline()) != b".\r\n":
        body += line
    return body


def envelope(lines: BinaryIO) -> list[str]:
    return [read(lines) for _ in range(3)]


NEXT = Envelope("a@example.org", "c@example.org")


def one_message_and_the_next_envelope(client: socket.socket, lines: BinaryIO, end: str) -> None:
    """Take a message and, with its end, the next envelope; answer ``end`` and accept that."""
    greet(client, lines, pipelining=True)
    envelope(lines)
    say(client, "250 sender ok", "250 recipient ok", "354 go ahead")
    message(lines)
    envelope(lines)
    say(client, end, "250 sender ok", "250 recipient ok", "354 go ahead")


def test_a_server_offering_pipelining_gets_the_envelope_before_any_reply() -> None:
    bodies: list[bytes] = []

    def script(client: socket.socket, lines: BinaryIO) -> None:
        greet(client, lines, pipelining=True)
        # No reply until all three commands are in: a client waiting for MAIL's
        # reply would time out here.
        commands = [read(lines) for _ in range(3)]
        assert commands == ["MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>", "DATA"]
        say(client, "250 sender ok", "250 recipient ok")
        bodies.append(message_after_354(client, lines))
        say(client, "250 queued")
        assert read(lines) == "quit"
        say(client, "221 bye")

    peer = Peer(script)
    transport = peer.transport()
    transport.send("a@example.org", "b@example.org", MESSAGE)
    transport.close()
    peer.finish()
    assert bodies == [
        b"Subject: dots\r\n\r\n..a line that starts with a dot\r\n...and two\r\n..\r\nlast line\r\n"
    ]


def test_a_server_not_offering_it_gets_each_command_after_the_last_reply() -> None:
    early: list[str] = []

    def answer(client: socket.socket, lines: BinaryIO, expected: str, reply: str) -> None:
        assert read(lines).split(":")[0] == expected
        # Anything already waiting was sent before this reply: pipelined uninvited.
        threading.Event().wait(0.2)
        try:
            if client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                early.append(expected)
        except BlockingIOError:
            pass
        say(client, reply)

    def script(client: socket.socket, lines: BinaryIO) -> None:
        greet(client, lines, pipelining=False)
        answer(client, lines, "mail FROM", "250 sender ok")
        answer(client, lines, "rcpt TO", "250 recipient ok")
        answer(client, lines, "data", "354 go ahead")
        while lines.readline() != b".\r\n":
            pass
        say(client, "250 queued")

    peer = Peer(script)
    peer.transport().send("a@example.org", "b@example.org", MESSAGE)
    peer.finish()
    assert early == []


def test_a_server_that_says_354_after_refusing_the_recipient_is_hung_up_on() -> None:
    """RFC 2920 has DATA refused then; one that waits for a message anyway gets none."""
    hung_up: list[bool] = []
    bodies: list[bytes] = []

    def refusing(client: socket.socket, lines: BinaryIO) -> None:
        greet(client, lines, pipelining=True)
        assert [read(lines) for _ in range(3)][2] == "DATA"
        say(client, "250 sender ok", "550 5.1.1 no such user", "354 go ahead")
        hung_up.append(lines.readline() == b"")

    def serving(client: socket.socket, lines: BinaryIO) -> None:
        greet(client, lines, pipelining=True)
        [read(lines) for _ in range(3)]
        say(client, "250 sender ok", "250 recipient ok")
        bodies.append(message_after_354(client, lines))
        say(client, "250 queued")

    peer = Peer(refusing, serving)
    transport = peer.transport()
    with pytest.raises(PermanentFailure, match="rcpt: 550"):
        transport.send("a@example.org", "gone@example.org", MESSAGE)
    transport.send("a@example.org", "b@example.org", b"Subject: next\r\n\r\nhello\r\n")
    peer.finish()
    assert hung_up == [True]
    assert bodies == [b"Subject: next\r\n\r\nhello\r\n"]


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "in turn"])
def test_a_message_arrives_as_it_was_given(pipelining: bool) -> None:
    with SinkServer(pipelining=pipelining) as server:
        transport = SmtpTransport(parse_smtp_url(server.url), timeout=5)
        transport.send("a@example.org", "b@example.org", MESSAGE)
        transport.send("a@example.org", "b@example.org", MESSAGE + b"\r\n")
        transport.close()
    # Dots are undone by the server; a last line without its CRLF gets one.
    assert [r.data for r in server.sink.received] == [MESSAGE + b"\r\n"] * 2


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "in turn"])
def test_when_ready_fails_nothing_goes_and_the_next_message_does(pipelining: bool) -> None:
    def failing() -> None:
        raise RuntimeError("the ledger could not record the message before")

    with SinkServer(pipelining=pipelining) as server:
        transport = SmtpTransport(parse_smtp_url(server.url), timeout=5)
        with pytest.raises(RuntimeError, match="ledger"):
            transport.send("a@example.org", "b@example.org", MESSAGE, failing)
        transport.send("a@example.org", "c@example.org", b"Subject: next\r\n\r\nhello\r\n")
        transport.close()
    assert [r.recipients for r in server.sink.received] == [["c@example.org"]]


def test_the_next_envelope_goes_with_the_end_of_the_message_before() -> None:
    bodies: list[bytes] = []

    def script(client: socket.socket, lines: BinaryIO) -> None:
        greet(client, lines, pipelining=True)
        envelope(lines)
        say(client, "250 sender ok", "250 recipient ok", "354 go ahead")
        bodies.append(message(lines))
        # No reply to the first message until the second's envelope is in.
        assert envelope(lines) == ["MAIL FROM:<a@example.org>", "RCPT TO:<c@example.org>", "DATA"]
        say(client, "250 queued", "250 sender ok", "250 recipient ok", "354 go ahead")
        bodies.append(message(lines))
        say(client, "250 queued")

    peer = Peer(script)
    transport = peer.transport()
    transport.send("a@example.org", "b@example.org", b"first\r\n", following=lambda: NEXT)
    transport.send(*NEXT, b"second\r\n")
    peer.finish()
    assert bodies == [b"first\r\n", b"second\r\n"]


def test_with_the_envelope_ahead_the_record_is_written_while_the_server_answers_it() -> None:
    """The message before goes on record before any of this one goes, not after its replies."""
    recorded = threading.Event()
    order: list[str] = []

    def script(client: socket.socket, lines: BinaryIO) -> None:
        greet(client, lines, pipelining=True)
        envelope(lines)
        say(client, "250 sender ok", "250 recipient ok", "354 go ahead")
        message(lines)
        envelope(lines)
        say(client, "250 queued")
        # The envelope's replies are held until the record is written: a client that
        # waited for them first would record only after this times out.
        order.append("record meanwhile" if recorded.wait(timeout=2) else "record after")
        say(client, "250 sender ok", "250 recipient ok", "354 go ahead")
        assert lines.readline() == b"second\r\n"
        order.append("message after the record" if recorded.is_set() else "message before")
        assert lines.readline() == b".\r\n"
        say(client, "250 queued")

    peer = Peer(script)
    transport = peer.transport()
    transport.send("a@example.org", "b@example.org", b"first\r\n", following=lambda: NEXT)
    transport.send(*NEXT, b"second\r\n", recorded.set)
    peer.finish()
    assert order == ["record meanwhile", "message after the record"]


def test_when_ready_fails_with_the_envelope_ahead_the_message_is_lost() -> None:
    def failing() -> None:
        raise RuntimeError("the ledger could not record the message before")

    with SinkServer(pipelining=True) as server:
        transport = SmtpTransport(parse_smtp_url(server.url), timeout=5)
        transport.send("a@example.org", "b@example.org", MESSAGE, following=lambda: NEXT)
        with pytest.raises(RuntimeError, match="ledger"):
            transport.send(*NEXT, MESSAGE, failing)
        transport.send("a@example.org", "d@example.org", b"Subject: next\r\n\r\nhello\r\n")
        transport.close()
    assert [r.recipients for r in server.sink.received] == [["b@example.org"], ["d@example.org"]]


def ahead_then_hung_up(end_reply: str, hung_up: list[bool]) -> Script:
    """A first connection: one message, the next envelope ahead, then a hang-up expected."""

    def script(client: socket.socket, lines: BinaryIO) -> None:
        one_message_and_the_next_envelope(client, lines, end_reply)
        hung_up.append(lines.readline() == b"")

    return script


def serving(bodies: list[bytes]) -> Script:
    def script(client: socket.socket, lines: BinaryIO) -> None:
        greet(client, lines, pipelining=True)
        envelope(lines)
        say(client, "250 sender ok", "250 recipient ok")
        bodies.append(message_after_354(client, lines))
        say(client, "250 queued")

    return script


def test_a_message_other_than_the_one_ahead_goes_on_a_new_connection() -> None:
    """The server is waiting for the message ahead; only a hang-up ends that unsent."""
    hung_up: list[bool] = []
    bodies: list[bytes] = []
    peer = Peer(ahead_then_hung_up("250 queued", hung_up), serving(bodies))
    transport = peer.transport()
    transport.send("a@example.org", "b@example.org", b"first\r\n", following=lambda: NEXT)
    transport.send("a@example.org", "d@example.org", b"another\r\n")
    peer.finish()
    assert hung_up == [True]
    assert bodies == [b"another\r\n"]


def test_a_refused_message_with_an_envelope_ahead_leaves_the_next_to_a_new_connection() -> None:
    hung_up: list[bool] = []
    bodies: list[bytes] = []
    peer = Peer(ahead_then_hung_up("451 4.3.0 try later", hung_up), serving(bodies))
    transport = peer.transport()
    with pytest.raises(TemporaryFailure, match="end of data: 451"):
        transport.send("a@example.org", "b@example.org", b"first\r\n", following=lambda: NEXT)
    transport.send(*NEXT, b"second\r\n")
    peer.finish()
    assert hung_up == [True]
    assert bodies == [b"second\r\n"]


def test_closing_with_an_envelope_ahead_hangs_up_without_a_message() -> None:
    hung_up: list[bool] = []
    peer = Peer(ahead_then_hung_up("250 queued", hung_up))
    transport = peer.transport()
    transport.send("a@example.org", "b@example.org", b"first\r\n", following=lambda: NEXT)
    transport.close()
    peer.finish()
    assert hung_up == [True]


class _Recorder(smtplib.SMTP):
    """smtplib's client with the wire replaced by a list: what its DATA would write."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.replies = [(354, b"go ahead"), (250, b"ok")]

    def send(self, s: Buffer | str) -> None:
        self.written += s.encode() if isinstance(s, str) else bytes(s)

    def putcmd(self, cmd: str, args: str = "") -> None:
        pass  # only the message's bytes are compared

    def getreply(self) -> tuple[int, bytes]:
        return self.replies.pop(0)


PIECES = st.sampled_from([b".", b"..", b"\r\n", b"\n", b"\r", b"a", b"\xc3\xa9"])


@given(st.lists(PIECES, max_size=30).map(b"".join))
def test_a_pipelined_message_is_stuffed_as_smtplib_stuffs_it(message: bytes) -> None:
    smtp = _Recorder()
    smtp.data(message)
    assert stuffed(message) == smtp.written


def test_the_connection_sends_each_write_at_once() -> None:
    """A message's end follows its body at once: Nagle's wait would stall it 40 ms."""
    with SinkServer() as server:
        transport = SmtpTransport(parse_smtp_url(server.url), timeout=5)
        transport.send("a@example.org", "b@example.org", MESSAGE)
        assert transport.connection is not None
        assert transport.connection.sock is not None
        assert transport.connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        transport.close()


@pytest.mark.parametrize("implicit", [False, True], ids=["STARTTLS", "TLS from the start"])
def test_messages_go_pipelined_over_tls(
    implicit: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path to a provider's submission port: TLS, then the envelope ahead and split ends."""
    certificate, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # trusted as a CA would be
    recorded: list[str] = []
    with SinkServer(tls=(certificate, key), implicit_tls=implicit) as server:
        transport = SmtpTransport(parse_smtp_url(server.url), timeout=5)
        transport.send("a@example.org", "b@example.org", MESSAGE, following=lambda: NEXT)
        assert transport.pipelining
        transport.send(*NEXT, MESSAGE, lambda: recorded.append("b@example.org"))
        transport.send("a@example.org", "d@example.org", MESSAGE)
        transport.close()
    assert [r.recipients for r in server.sink.received] == [
        ["b@example.org"],
        ["c@example.org"],
        ["d@example.org"],
    ]
    assert [r.data for r in server.sink.received] == [MESSAGE + b"\r\n"] * 3
    assert recorded == ["b@example.org"]


@pytest.mark.parametrize("implicit", [False, True], ids=["STARTTLS", "TLS from the start"])
def test_a_server_whose_certificate_no_authority_vouches_for_gets_no_mail(
    implicit: bool, tmp_path: Path
) -> None:
    certificate, key = self_signed(tmp_path)  # and not trusted: no SSL_CERT_FILE
    with SinkServer(tls=(certificate, key), implicit_tls=implicit) as server:
        transport = SmtpTransport(parse_smtp_url(server.url), timeout=5)
        with pytest.raises(SessionFailure, match=r"SMTP TLS failed: .*CERTIFICATE_VERIFY_FAILED"):
            transport.send("a@example.org", "b@example.org", MESSAGE)
    assert server.sink.received == []


def test_the_password_goes_only_inside_starttls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider's submission port: STARTTLS, then AUTH, then the mail."""
    certificate, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    with SinkServer(tls=(certificate, key), password="app-password") as server:
        address = parse_smtp_url(server.url.replace("://", "://sender%40example.org@"))
        transport = SmtpTransport(address, timeout=5, password="app-password")
        transport.send("a@example.org", "b@example.org", MESSAGE)
        transport.close()
    assert server.logins == ["app-password"]
    assert [r.recipients for r in server.sink.received] == [["b@example.org"]]
