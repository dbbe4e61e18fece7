"""The delivery ledger: what was sent to whom, what failed, and who left.

It also keeps what each person was last told of each meeting (the snapshot
their latest message showed), for change notices, and each meeting's venue
watch (was it TBD, when did its venue become known).

One row per (meeting, kind, recipient). A delivery is recorded in its own
committed transaction right after the server accepts it, before the next
message goes, so a crash can repeat at most the one message in flight.
A temporary failure schedules a retry with a growing delay; a permanent one
is final. Suppressed addresses never get mail again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reminders.meetings import Snapshot
from reminders.notices import Watch
from reminders.plan import Delivery
from reminders.state import stamp, transaction

__all__ = [
    "MeetingCounts",
    "counts",
    "finished",
    "load_watches",
    "record_failed",
    "record_retry",
    "record_sent",
    "save_watches",
    "suppress",
    "suppressed",
    "told",
    "told_states",
]

FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=1)


def finished(
    connection: sqlite3.Connection, kinds: Iterable[tuple[str, str]], now: datetime
) -> dict[tuple[str, str], set[str]]:
    """For each (meeting, kind), the recipients done with: sent, failed, or waiting to retry."""
    done: dict[tuple[str, str], set[str]] = {}
    for meeting_id, kind in kinds:
        rows = connection.execute(
            "SELECT recipient FROM delivery WHERE meeting_id = ? AND kind = ?"
            " AND (status != 'retry' OR retry_after > ?)",
            (meeting_id, kind, stamp(now)),
        )
        done[(meeting_id, kind)] = {row[0] for row in rows}
    return done


def suppressed(connection: sqlite3.Connection) -> set[str]:
    """Every address that must never get mail again."""
    return {row[0] for row in connection.execute("SELECT recipient FROM suppression")}


def suppress(connection: sqlite3.Connection, address: str, reason: str, now: datetime) -> bool:
    """Add an address to the suppression list; return False if it was there already."""
    with transaction(connection):
        cursor = connection.execute(
            "INSERT INTO suppression (recipient, reason, created) VALUES (?, ?, ?)"
            " ON CONFLICT (recipient) DO NOTHING",
            (address.lower(), reason, stamp(now)),
        )
    return cursor.rowcount == 1


def _write(
    connection: sqlite3.Connection,
    delivery: Delivery,
    status: str,
    now: datetime,
    *,
    error: str | None = None,
    message_id: str | None = None,
    retry_after: datetime | None = None,
) -> None:
    connection.execute(
        "INSERT INTO delivery (meeting_id, kind, recipient, status, attempts, last_error,"
        " message_id, updated, retry_after) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)"
        " ON CONFLICT (meeting_id, kind, recipient) DO UPDATE SET status = excluded.status,"
        " attempts = attempts + 1, last_error = excluded.last_error,"
        " message_id = coalesce(excluded.message_id, message_id),"
        " updated = excluded.updated, retry_after = excluded.retry_after",
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
    connection: sqlite3.Connection,
    delivery: Delivery,
    message_id: str,
    now: datetime,
    told: Snapshot,
) -> None:
    """Record that the server accepted the message (committed before the next send)."""
    with transaction(connection):
        _write(connection, delivery, "sent", now, message_id=message_id)
        connection.execute(
            "INSERT INTO told (meeting_id, recipient, snapshot, updated) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (meeting_id, recipient) DO UPDATE SET snapshot = excluded.snapshot,"
            " updated = excluded.updated",
            (delivery.meeting_id, delivery.recipient, told.dumps(), stamp(now)),
        )


def record_failed(
    connection: sqlite3.Connection, delivery: Delivery, error: str, now: datetime
) -> None:
    """Record a permanent failure: this delivery is not tried again."""
    with transaction(connection):
        _write(connection, delivery, "failed", now, error=error)


def record_retry(
    connection: sqlite3.Connection, delivery: Delivery, error: str, now: datetime
) -> datetime:
    """Record a temporary failure; return when it may be tried again (5 min, doubling to 1 h)."""
    with transaction(connection):
        row = connection.execute(
            "SELECT attempts FROM delivery WHERE meeting_id = ? AND kind = ? AND recipient = ?",
            (delivery.meeting_id, delivery.kind, delivery.recipient),
        ).fetchone()
        attempts = int(row[0]) + 1 if row else 1
        delay: timedelta = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
        retry_after = now + delay
        _write(connection, delivery, "retry", now, error=error, retry_after=retry_after)
    return retry_after


def told_states(connection: sqlite3.Connection) -> dict[str, set[Snapshot]]:
    """Per meeting, the distinct snapshots people were last told (a few rows, not per person)."""
    states: dict[str, set[Snapshot]] = {}
    for meeting_id, snapshot in connection.execute(
        "SELECT DISTINCT meeting_id, snapshot FROM told"
    ):
        states.setdefault(meeting_id, set()).add(Snapshot.loads(snapshot))
    return states


def told(
    connection: sqlite3.Connection, meeting_ids: Iterable[str]
) -> dict[str, dict[str, Snapshot]]:
    """Per meeting, what each recipient was last told."""
    found: dict[str, dict[str, Snapshot]] = {}
    for meeting_id in meeting_ids:
        rows = connection.execute(
            "SELECT recipient, snapshot FROM told WHERE meeting_id = ?", (meeting_id,)
        )
        found[meeting_id] = {recipient: Snapshot.loads(text) for recipient, text in rows}
    return found


def load_watches(connection: sqlite3.Connection) -> dict[str, Watch]:
    """Every meeting's venue watch."""
    rows = connection.execute("SELECT meeting_id, tbd_seen, known_at, base FROM watch")
    return {
        meeting_id: Watch(
            meeting_id=meeting_id,
            tbd_seen=bool(tbd_seen),
            known_at=datetime.fromisoformat(known_at) if known_at else None,
            base=Snapshot.loads(base) if base else None,
        )
        for meeting_id, tbd_seen, known_at, base in rows
    }


def save_watches(connection: sqlite3.Connection, watches: Iterable[Watch]) -> None:
    """Store changed venue watches in one transaction."""
    rows = [
        (
            w.meeting_id,
            int(w.tbd_seen),
            w.known_at and stamp(w.known_at),
            w.base and w.base.dumps(),
        )
        for w in watches
    ]
    if not rows:
        return
    with transaction(connection):
        connection.executemany(
            "INSERT INTO watch (meeting_id, tbd_seen, known_at, base) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (meeting_id) DO UPDATE SET tbd_seen = excluded.tbd_seen,"
            " known_at = excluded.known_at, base = excluded.base",
            rows,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingCounts:
    """How one meeting's deliveries stand."""

    meeting_id: str
    sent: int = 0
    failed: int = 0
    retry: int = 0


def counts(connection: sqlite3.Connection) -> dict[str, MeetingCounts]:
    """Sent, failed and retrying deliveries per meeting."""
    totals: dict[str, dict[str, int]] = {}
    for meeting_id, status, number in connection.execute(
        "SELECT meeting_id, status, count(*) FROM delivery GROUP BY meeting_id, status"
    ):
        totals.setdefault(meeting_id, {})[status] = number
    return {key: MeetingCounts(meeting_id=key, **value) for key, value in totals.items()}
