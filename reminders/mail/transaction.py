"""One SMTP mail transaction (MAIL, RCPT, DATA, the message), in turn or pipelined.

Each step yields the :class:`~reminders.mail.outcomes.Stage` it is at before it
acts, so the caller judges a failure by the stage last yielded. A refusal is
raised as smtplib's :class:`~smtplib.SMTPResponseException`, a lost connection
as smtplib raises it.

Where the server offers PIPELINING (RFC 2920), as Postfix, Exim and the large
providers do, the envelope goes in one write, and with the end of the message
before when that is known: one round trip a message instead of four. smtplib
does not pipeline, so the pipelined steps write the commands themselves; the
addresses are plain ASCII dot-atoms (see
:func:`reminders.inputs.subscribers.parse_address`), so ``<address>`` is what
smtplib's quoting would give.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator

from reminders.mail.handover import Envelope
from reminders.mail.outcomes import Stage

__all__ = ["Pipeline", "in_turn", "stuffed"]

_ACCEPTED = {250, 251}


def in_turn(
    smtp: smtplib.SMTP, envelope: Envelope, message: bytes, ready: Callable[[], None]
) -> Iterator[Stage]:
    """A command, then its reply, each in turn: for a server without PIPELINING."""
    yield Stage.MAIL
    _expect(smtp.mail(envelope.sender), {250})
    yield Stage.RCPT
    _expect(smtp.rcpt(envelope.recipient), _ACCEPTED)
    _ready(smtp, ready, in_data=False)
    yield Stage.DATA
    code, reply = smtp.data(message)  # raises SMTPDataError when DATA itself is refused
    yield Stage.END_OF_DATA
    _expect((code, reply), {250})


class Pipeline:
    """Transactions on one pipelining connection, and the envelope sent ahead on it.

    A message's end goes in one write with the next message's envelope when that
    message is already made, so the server reads one while replying to the other:
    one round trip a message. :attr:`ahead` is that envelope, whose replies are
    still unread; the owner hangs up (and clears it) when the next transaction
    is not that envelope's, or when a transaction fails with one ahead.
    """

    def __init__(self) -> None:
        self.ahead: Envelope | None = None

    def steps(
        self,
        smtp: smtplib.SMTP,
        envelope: Envelope,
        message: bytes,
        ready: Callable[[], None],
        following: Callable[[], Envelope | None],
    ) -> Iterator[Stage]:
        """MAIL, RCPT and DATA in one write (or ahead), then their replies; ``ready`` meanwhile.

        ``ready`` runs while the server reads and answers the envelope (sent now, or
        ahead with the message before), and before any of the message goes: a
        failure in it hangs up with nothing of the message sent.
        """
        yield Stage.MAIL
        if self.ahead != envelope:
            smtp.send(_commands(envelope))
        self.ahead = None
        _ready(smtp, ready, in_data=True)
        code, reply = smtp.getreply()
        if code != 250:
            smtp.close()  # two replies are still to come: the session is out of step for good
            raise smtplib.SMTPResponseException(code, reply)
        yield Stage.RCPT
        code, reply = smtp.getreply()
        if code not in _ACCEPTED:
            _answer_to_data(smtp)
            raise smtplib.SMTPResponseException(code, reply)
        yield Stage.DATA
        code, reply = smtp.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        yield Stage.END_OF_DATA
        data = stuffed(message)
        after = following()  # asked now, so that the next message has had time to be made
        smtp.send(data + _commands(after) if after else data)
        self.ahead = after
        _expect(smtp.getreply(), {250})


_END = b".\r\n"  # a line of its own: the message's end (RFC 5321, 4.1.1.4)


def stuffed(message: bytes) -> bytes:
    """The message as DATA carries it: leading dots doubled, ended by a lone dot (RFC 5321)."""
    data = message.replace(b"\n.", b"\n..")  # a line starts after LF: a tenth of a regex's time
    if data.startswith(b"."):
        data = b"." + data
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + _END


def _commands(envelope: Envelope) -> bytes:
    return f"MAIL FROM:<{envelope.sender}>\r\nRCPT TO:<{envelope.recipient}>\r\nDATA\r\n".encode()


def _expect(answer: tuple[int, bytes], good: set[int]) -> None:
    code, reply = answer
    if code not in good:
        raise smtplib.SMTPResponseException(code, reply)


def _ready(smtp: smtplib.SMTP, ready: Callable[[], None], *, in_data: bool) -> None:
    """Run ``ready``; if it fails, end the transaction so that nothing goes."""
    try:
        ready()
    except BaseException:
        if in_data:  # the server may be waiting for the message: only a hang-up ends that
            smtp.close()
        else:
            try:
                smtp.rset()
            except (smtplib.SMTPException, OSError):
                smtp.close()
        raise


def _answer_to_data(smtp: smtplib.SMTP) -> None:
    """Read the pipelined DATA's reply after a refused recipient, keeping the session in step.

    RFC 2920 has the server refuse DATA when no recipient was accepted; one that
    says 354 anyway is waiting for a message, and only hanging up ends that.
    """
    try:
        code, _ = smtp.getreply()
    except (smtplib.SMTPException, OSError):
        smtp.close()
        return
    if code == 354:
        smtp.close()
