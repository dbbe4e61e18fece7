"""What an SMTP failure means for the run, by where in the session it came: one table.

A failure before ``RCPT TO`` (connecting, the greeting, EHLO, STARTTLS, AUTH,
``MAIL FROM``) or one that closes the service (421) is about the session,
not one recipient: the run stops (exit 3) and every delivery stays due. At
``RCPT TO``, ``DATA`` and the end of the data, a 5xx fails that delivery for
good, and a 4xx, a dropped connection or a timeout leaves it to retry.
"""

from __future__ import annotations

import enum

__all__ = ["Stage", "Trouble", "Verdict", "trouble_of", "verdict"]


class Stage(enum.StrEnum):
    """Where in the SMTP session a reply came (or did not)."""

    CONNECT = "connect"
    GREETING = "greeting"
    EHLO = "ehlo"
    STARTTLS = "starttls"
    AUTH = "auth"
    MAIL = "mail"
    RCPT = "rcpt"
    DATA = "data"
    END_OF_DATA = "end of data"


class Trouble(enum.StrEnum):
    """What went wrong: a reply class, a closing service, or no reply at all."""

    TEMPORARY = "4xx"
    PERMANENT = "5xx"
    CLOSING = "421"
    DROP = "drop"
    TIMEOUT = "timeout"


class Verdict(enum.StrEnum):
    """What the sender does: stop the run, retry this delivery later, or fail it."""

    STOP = "stop"
    RETRY = "retry"
    FAIL = "fail"


PER_RECIPIENT = frozenset({Stage.RCPT, Stage.DATA, Stage.END_OF_DATA})


def trouble_of(code: int) -> Trouble:
    """The trouble a failing reply code stands for."""
    if code == 421:
        return Trouble.CLOSING
    return Trouble.TEMPORARY if 400 <= code < 500 else Trouble.PERMANENT


def verdict(stage: Stage, trouble: Trouble) -> Verdict:
    """Decide what one failure means; see the module docstring."""
    if stage not in PER_RECIPIENT or trouble is Trouble.CLOSING:
        return Verdict.STOP
    return Verdict.FAIL if trouble is Trouble.PERMANENT else Verdict.RETRY
