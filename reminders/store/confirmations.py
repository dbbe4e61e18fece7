"""The confirmation emails still to send: a small queue in the store, retried with backoff.

A sign-up's confirmation is queued as soon as the sign-up is stored, so it
survives a restart of ``serve``; the mailer takes what is due, and
each outcome is recorded: sent (the row goes), a temporary failure (tried
again later, waiting longer each time) or a permanent one (kept as
``failed`` for ``reminders status``, never tried again). The row holds no
address: it names the pending sign-up, which does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reminders.inputs.subscribers import Subscriber
from reminders.store.base import Database, stamp
from reminders.store.signups import person_of

__all__ = [
    "Pending",
    "confirmation_counts",
    "due_confirmations",
    "queue_confirmation",
    "record_failed",
    "record_retry",
    "record_sent",
]

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pending:
    """A confirmation to send now: for which sign-up, to whom, and until when it is good."""

    signup_id: str
    person: Subscriber
    expires: datetime
    attempts: int


def queue_confirmation(db: Database, signup_id: str, now: datetime) -> None:
    """Queue the confirmation of a sign-up, due at once."""
    db.execute(
        "INSERT INTO confirmation (signup_id, status, next_try, updated)"
        " VALUES (?, 'pending', ?, ?) ON CONFLICT (signup_id) DO NOTHING",
        (signup_id, stamp(now), stamp(now)),
    )


def due_confirmations(db: Database, now: datetime, limit: int = 50) -> list[Pending]:
    """The confirmations due at ``now`` whose sign-up is still waiting; forget the rest."""
    with db.transaction():
        db.execute(
            "DELETE FROM confirmation WHERE signup_id NOT IN"
            " (SELECT id FROM signup WHERE expires >= ?)",
            (stamp(now),),
        )
        rows = db.execute(
            "SELECT c.signup_id, c.attempts, s.email, s.name, s.language, s.cities, s.expires"
            " FROM confirmation c JOIN signup s ON s.id = c.signup_id"
            " WHERE c.status = 'pending' AND c.next_try <= ? ORDER BY c.next_try LIMIT ?",
            (stamp(now), limit),
        ).fetchall()
    return [
        Pending(
            signup_id=signup_id,
            attempts=attempts,
            person=person_of(email, name, language, cities),
            expires=datetime.fromisoformat(expires),
        )
        for signup_id, attempts, email, name, language, cities, expires in rows
    ]


def record_sent(db: Database, signup_id: str) -> None:
    db.execute("DELETE FROM confirmation WHERE signup_id = ?", (signup_id,))


def record_retry(db: Database, pending: Pending, error: str, now: datetime) -> datetime:
    """Try again later, waiting twice as long each time up to an hour; return when."""
    later = now + min(FIRST_RETRY * (1 << min(pending.attempts, 10)), LONGEST_RETRY)
    db.execute(
        "UPDATE confirmation SET attempts = attempts + 1, next_try = ?, last_error = ?,"
        " updated = ? WHERE signup_id = ?",
        (stamp(later), error, stamp(now), pending.signup_id),
    )
    return later


def record_failed(db: Database, signup_id: str, error: str, now: datetime) -> None:
    db.execute(
        "UPDATE confirmation SET status = 'failed', attempts = attempts + 1, last_error = ?,"
        " updated = ? WHERE signup_id = ?",
        (error, stamp(now), signup_id),
    )


def confirmation_counts(db: Database) -> dict[str, int]:
    """How many confirmations are pending and how many failed for good."""
    counts = {"pending": 0, "failed": 0}
    for status, number in db.execute("SELECT status, count(*) FROM confirmation GROUP BY status"):
        counts[status] = number
    return counts
