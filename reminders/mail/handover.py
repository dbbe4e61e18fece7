"""Handing a message over: the protocol every transport speaks, and how it can fail.

Failures are sorted by what the sender must do: :class:`TemporaryFailure`
(try this delivery again later), :class:`PermanentFailure` (never again),
:class:`TransportError` (nothing can be sent now: stop the run; nothing is
recorded, so everything due stays due).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from reminders.errors import ReminderError

__all__ = [
    "PermanentFailure",
    "SessionFailure",
    "TemporaryFailure",
    "Transport",
    "TransportError",
    "at_once",
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


def at_once() -> None:
    """Nothing to do before a message goes: the ``ready`` of a lone message."""


class Transport(Protocol):
    """Somewhere messages go."""

    def send(
        self, sender: str, recipient: str, message: bytes, ready: Callable[[], None] = at_once
    ) -> None:
        """Hand over one message (CRLF line ends) for one recipient.

        Call ``ready`` once, before the message itself can be delivered (an SMTP
        transport, once the envelope is on its way); if it raises, nothing goes.
        """

    def close(self) -> None:
        """Release the connection, if any."""
