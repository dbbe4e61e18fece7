"""The delivery ledger: what was sent, failed or waits to retry, and who left.

One row per (meeting, kind, recipient); :mod:`reminders.store.queue` adds
and claims them, :mod:`reminders.store.told` keeps what each person was
told. A sender sends each message outside any transaction and records each
outcome here in its own short transaction before the next message goes, so
a crash repeats at most the message in flight. A temporary failure
schedules a retry with a growing delay; a permanent one is final.
Suppressed addresses never get mail again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reminders.inputs.meetings import Snapshot
from reminders.plan import Delivery
from reminders.store.base import Database, stamp
from reminders.store.queue import key

__all__ = [
    "MeetingCounts",
    "counts",
    "finished",
    "record_failed",
    "record_retry",
    "record_sent",
    "suppress",
    "suppressed",
    "suppressions",
]

FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=1)


def finished(
    db: Database, kinds: Iterable[tuple[str, str]], now: datetime
) -> dict[tuple[str, str], set[str]]:
    """For each (meeting, kind), the recipients done with: sent, failed, or waiting to retry.

    A queued (``due``) delivery is not done: every planner plans it again.
    """
    done: dict[tuple[str, str], set[str]] = {}
    for meeting_id, kind in kinds:
        rows = db.execute(
            "SELECT recipient FROM delivery WHERE meeting_id = ? AND kind = ?"
            " AND (status IN ('sent', 'failed') OR (status = 'retry' AND retry_after > ?))",
            (meeting_id, kind, stamp(now)),
        )
        done[(meeting_id, kind)] = {row[0] for row in rows}
    return done


def suppressed(db: Database) -> set[str]:
    """Every address that must never get mail again."""
    return {row[0] for row in db.execute("SELECT recipient FROM suppression")}


def suppressions(db: Database) -> list[tuple[str, str, str]]:
    """Every suppressed address with why and since when (UTC), oldest first."""
    rows = db.execute("SELECT recipient, reason, created FROM suppression ORDER BY created")
    return [(str(r), str(why), str(when)) for r, why, when in rows]


def suppress(db: Database, address: str, reason: str, now: datetime) -> bool:
    """Add an address to the suppression list; return False if it was there already."""
    with db.transaction():
        cursor = db.execute(
            "INSERT INTO suppression (recipient, reason, created) VALUES (?, ?, ?)"
            " ON CONFLICT (recipient) DO NOTHING",
            (address.lower(), reason, stamp(now)),
        )
    return cursor.rowcount == 1


def lift(db: Database, recipient: str) -> None:
    """Take a recipient off the suppression list (they asked to come back)."""
    db.execute("DELETE FROM suppression WHERE recipient = ?", (recipient,))


def _write(
    db: Database,
    delivery: Delivery,
    status: str,
    now: datetime,
    *,
    error: str | None = None,
    message_id: str | None = None,
    retry_after: datetime | None = None,
) -> None:
    db.execute(
        "INSERT INTO delivery (meeting_id, kind, recipient, status, attempts, last_error,"
        " message_id, updated, retry_after) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)"
        " ON CONFLICT (meeting_id, kind, recipient) DO UPDATE SET status = excluded.status,"
        " attempts = delivery.attempts + 1, last_error = excluded.last_error,"
        " message_id = coalesce(excluded.message_id, delivery.message_id),"
        " updated = excluded.updated, retry_after = excluded.retry_after,"
        " claimed_by = NULL, lease_until = NULL",
        (
            delivery.meeting_id,
            delivery.kind,
            delivery.recipient,
            status,
            error,
            message_id,
            stamp(now),
            retry_after and stamp(retry_after),
        ),
    )


def record_sent(
    db: Database,
    delivery: Delivery,
    message_id: str,
    now: datetime,
    told: Snapshot,
    holder: str | None = None,
) -> bool:
    """Record that the server accepted the message (committed before the next send).

    Return False when ``holder`` no longer held the claim: another sender may
    have taken the expired lease, so the message may have gone twice. It is
    recorded as sent either way, which is the truth.
    """
    with db.transaction():
        held = (
            holder is not None
            and db.execute(
                "UPDATE delivery SET status = 'sent', attempts = attempts + 1,"
                " last_error = NULL, message_id = ?, updated = ?, retry_after = NULL,"
                " claimed_by = NULL, lease_until = NULL"
                " WHERE meeting_id = ? AND kind = ? AND recipient = ? AND claimed_by = ?",
                (message_id, stamp(now), *key(delivery), holder),
            ).rowcount
            == 1
        )
        if not held:
            _write(db, delivery, "sent", now, message_id=message_id)
        db.execute(
            "INSERT INTO told (meeting_id, recipient, snapshot, updated) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (meeting_id, recipient) DO UPDATE SET snapshot = excluded.snapshot,"
            " updated = excluded.updated",
            (delivery.meeting_id, delivery.recipient, told.dumps(), stamp(now)),
        )
    return held


def record_failed(db: Database, delivery: Delivery, error: str, now: datetime) -> None:
    """Record a permanent failure: this delivery is not tried again."""
    with db.transaction():
        _write(db, delivery, "failed", now, error=error)


def record_retry(db: Database, delivery: Delivery, error: str, now: datetime) -> datetime:
    """Record a temporary failure; return when it may be tried again (5 min, doubling to 1 h)."""
    with db.transaction():
        row = db.execute(
            "SELECT attempts FROM delivery WHERE meeting_id = ? AND kind = ? AND recipient = ?",
            key(delivery),
        ).fetchone()
        attempts = int(row[0]) + 1 if row else 1
        delay: timedelta = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
        retry_after = now + delay
        _write(db, delivery, "retry", now, error=error, retry_after=retry_after)
    return retry_after


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingCounts:
    """How one meeting's deliveries stand."""

    meeting_id: str
    due: int = 0  # queued, not yet sent
    sent: int = 0
    failed: int = 0
    retry: int = 0


def counts(db: Database) -> dict[str, MeetingCounts]:
    """Sent, failed and retrying deliveries per meeting."""
    totals: dict[str, dict[str, int]] = {}
    for meeting_id, status, number in db.execute(
        "SELECT meeting_id, status, count(*) FROM delivery GROUP BY meeting_id, status"
    ):
        totals.setdefault(meeting_id, {})[status] = number
    return {key: MeetingCounts(meeting_id=key, **value) for key, value in totals.items()}
