"""Handing a message over: the protocol every transport speaks, and how it can fail.

Failures are sorted by what the sender must do: :class:`TemporaryFailure`
(try this delivery again later), :class:`PermanentFailure` (never again),
:class:`TransportError` (nothing can be sent now: stop the run; nothing is
recorded, so everything due stays due).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Protocol

from reminders.errors import ReminderError

__all__ = [
    "Envelope",
    "PermanentFailure",
    "SessionFailure",
    "TemporaryFailure",
    "Transport",
    "TransportError",
    "at_once",
    "none_next",
]


class TemporaryFailure(Exception):
    """This message could not be sent now; it may be tried again later."""


class PermanentFailure(Exception):
    """The server refused this message or recipient for good."""


class TransportError(ReminderError):
    """Nothing can be sent now (authentication, TLS, server or outbox unreachable)."""

    exit_code = 3


class SessionFailure(TransportError):
    """The SMTP session failed (not one recipient): stop the run, keep everything due."""


class Envelope(NamedTuple):
    """Who a message is from and to, as the SMTP envelope says."""

    sender: str
    recipient: str


def at_once() -> None:
    """Nothing to do before a message goes: the ``ready`` of a lone message."""


def none_next() -> Envelope | None:
    """No message is known to come next: the ``following`` of a lone message."""
    return None


class Transport(Protocol):
    """Somewhere messages go."""

    def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        ready: Callable[[], None] = at_once,
        following: Callable[[], Envelope | None] = none_next,
    ) -> None:
        """Hand over one message (CRLF line ends) for one recipient.

        Call ``ready`` once, before the message itself can be delivered (an SMTP
        transport, once the envelope is on its way); if it raises, nothing goes.
        ``following`` gives the envelope of the message that comes next, when it
        is already made: a transport may send it ahead (SMTP, with this message's
        end). The next ``send`` is then expected to be that message's; if it is
        not, what went ahead is abandoned and nothing of it is delivered.
        """

    def close(self) -> None:
        """Release the connection, if any."""
