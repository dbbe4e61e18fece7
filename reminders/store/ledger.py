"""The delivery ledger and work queue: what is due, claimed, sent, failed, and who left.

It also keeps what each person was last told of each meeting (the snapshot
their latest message showed), for change notices, and each meeting's venue
watch (was it TBD, when did its venue become known).

One row per (meeting, kind, recipient). Planning adds the deliveries due
now as ``due`` rows (``INSERT ... ON CONFLICT DO NOTHING``, so daemons
planning at once are harmless); a sender then claims a small batch under a
lease (``claimed_by``, ``lease_until``), sends each message outside any
transaction, and records each outcome in its own short transaction before
the next message goes, so a crash repeats at most the message in flight.
Claims of a dead sender expire with their lease and are taken by another.
A temporary failure schedules a retry with a growing delay; a permanent one
is final. Suppressed addresses never get mail again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reminders.inputs.meetings import Snapshot
from reminders.notices import Watch
from reminders.plan import Delivery
from reminders.store.base import Database, stamp

__all__ = [
    "Holding",
    "MeetingCounts",
    "claim",
    "claims",
    "counts",
    "enqueue",
    "expire",
    "finished",
    "key",
    "load_watches",
    "record_failed",
    "record_retry",
    "record_sent",
    "release",
    "release_dead",
    "save_watches",
    "suppress",
    "suppressed",
    "told",
    "told_states",
    "withdraw",
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


def suppress(db: Database, address: str, reason: str, now: datetime) -> bool:
    """Add an address to the suppression list; return False if it was there already."""
    with db.transaction():
        cursor = db.execute(
            "INSERT INTO suppression (recipient, reason, created) VALUES (?, ?, ?)"
            " ON CONFLICT (recipient) DO NOTHING",
            (address.lower(), reason, stamp(now)),
        )
    return cursor.rowcount == 1


Key = tuple[str, str, str]  # (meeting id, kind, recipient)


def key(delivery: Delivery) -> Key:
    """The delivery's row key in the ledger."""
    return (delivery.meeting_id, delivery.kind, delivery.recipient)


def enqueue(db: Database, deliveries: Iterable[Delivery], now: datetime) -> None:
    """Queue the deliveries due now; those queued or done already are left alone."""
    with db.transaction():
        db.executemany(
            "INSERT INTO delivery (meeting_id, kind, recipient, status, updated, closes)"
            " VALUES (?, ?, ?, 'due', ?, ?) ON CONFLICT (meeting_id, kind, recipient) DO NOTHING",
            ((*key(d), stamp(now), stamp(d.closes)) for d in deliveries),
        )


def expire(db: Database, now: datetime) -> int:
    """Drop queued deliveries whose window closed unsent; return how many."""
    with db.transaction():
        return db.execute(
            # The IN term repeats the open-rows index's condition, so SQLite uses the index.
            "DELETE FROM delivery WHERE status IN ('due', 'retry') AND status = 'due'"
            " AND closes <= ?",
            (stamp(now),),
        ).rowcount


def claim(db: Database, holder: str, now: datetime, until: datetime, size: int) -> list[Key]:
    """Claim up to ``size`` deliveries that are due and unclaimed (or whose lease ran out).

    The earliest-closing go first. Concurrent claimers skip each other's
    locked rows, so no row is claimed twice while its lease holds.
    """
    at = stamp(now)
    with db.transaction():
        rows = db.execute(
            "UPDATE delivery SET claimed_by = ?, lease_until = ?"
            " WHERE (meeting_id, kind, recipient) IN ("
            "  SELECT meeting_id, kind, recipient FROM delivery"
            "  WHERE status IN ('due', 'retry') AND (closes IS NULL OR closes > ?)"
            "  AND (retry_after IS NULL OR retry_after <= ?)"
            "  AND (lease_until IS NULL OR lease_until <= ?)"
            f"  ORDER BY closes LIMIT ?{db.lock_rows})"
            " RETURNING meeting_id, kind, recipient",
            (holder, stamp(until), at, at, at, size),
        ).fetchall()
    return [(str(m), str(k), str(r)) for m, k, r in rows]


def release(db: Database, holder: str, keys: Iterable[Key]) -> None:
    """Give claims back unsent, for anyone to take at once."""
    with db.transaction():
        db.executemany(
            "UPDATE delivery SET claimed_by = NULL, lease_until = NULL"
            " WHERE meeting_id = ? AND kind = ? AND recipient = ? AND claimed_by = ?",
            ((*claimed, holder) for claimed in keys),
        )


def withdraw(db: Database, holder: str, keys: Iterable[Key]) -> None:
    """Remove claimed deliveries the plan no longer holds (the person left, the data changed).

    If another planner still finds one due, it queues it again.
    """
    with db.transaction():
        db.executemany(
            "DELETE FROM delivery WHERE meeting_id = ? AND kind = ? AND recipient = ?"
            " AND claimed_by = ? AND status IN ('due', 'retry')",
            ((*claimed, holder) for claimed in keys),
        )


def release_dead(db: Database, alive: Callable[[str], bool]) -> int:
    """Release the claims of holders that ``alive`` says are gone; return how many.

    For the one-host SQLite store, where a holder's pid tells whether it
    still runs and nobody need wait out its lease.
    """
    holders = [
        row[0]
        for row in db.execute(
            "SELECT DISTINCT claimed_by FROM delivery"
            " WHERE status IN ('due', 'retry') AND claimed_by IS NOT NULL"
        )
    ]
    dead = [name for name in holders if not alive(name)]
    released = 0
    with db.transaction():
        for name in dead:
            released += db.execute(
                "UPDATE delivery SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?",
                (name,),
            ).rowcount
    return released


@dataclass(frozen=True, slots=True, kw_only=True)
class Holding:
    """What one sender holds."""

    holder: str
    held: int  # claims with a running lease
    expired: int  # claims whose lease ran out: the holder died or hangs
    until: datetime  # when its last lease ends


def claims(db: Database, now: datetime) -> list[Holding]:
    """Per sender, the deliveries it has claimed and not yet recorded."""
    at = stamp(now)
    rows = db.execute(
        "SELECT claimed_by, sum(CASE WHEN lease_until > ? THEN 1 ELSE 0 END),"
        " sum(CASE WHEN lease_until <= ? THEN 1 ELSE 0 END), max(lease_until)"
        " FROM delivery WHERE status IN ('due', 'retry') AND claimed_by IS NOT NULL"
        " GROUP BY claimed_by ORDER BY claimed_by",
        (at, at),
    )
    return [
        Holding(
            holder=name,
            held=int(held),
            expired=int(expired),
            until=datetime.fromisoformat(until),
        )
        for name, held, expired, until in rows
    ]


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


def told_states(db: Database) -> dict[str, set[Snapshot]]:
    """Per meeting, the distinct snapshots people were last told (a few rows, not per person)."""
    states: dict[str, set[Snapshot]] = {}
    for meeting_id, snapshot in db.execute("SELECT DISTINCT meeting_id, snapshot FROM told"):
        states.setdefault(meeting_id, set()).add(Snapshot.loads(snapshot))
    return states


def told(db: Database, meeting_ids: Iterable[str]) -> dict[str, dict[str, Snapshot]]:
    """Per meeting, what each recipient was last told."""
    found: dict[str, dict[str, Snapshot]] = {}
    for meeting_id in meeting_ids:
        rows = db.execute(
            "SELECT recipient, snapshot FROM told WHERE meeting_id = ?", (meeting_id,)
        )
        found[meeting_id] = {recipient: Snapshot.loads(text) for recipient, text in rows}
    return found


def load_watches(db: Database) -> dict[str, Watch]:
    """Every meeting's venue watch."""
    rows = db.execute("SELECT meeting_id, tbd_seen, known_at, base FROM watch")
    return {
        meeting_id: Watch(
            meeting_id=meeting_id,
            tbd_seen=bool(tbd_seen),
            known_at=datetime.fromisoformat(known_at) if known_at else None,
            base=Snapshot.loads(base) if base else None,
        )
        for meeting_id, tbd_seen, known_at, base in rows
    }


def save_watches(db: Database, watches: Iterable[Watch]) -> None:
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
    with db.transaction():
        db.executemany(
            "INSERT INTO watch (meeting_id, tbd_seen, known_at, base) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (meeting_id) DO UPDATE SET tbd_seen = excluded.tbd_seen,"
            " known_at = excluded.known_at, base = excluded.base",
            rows,
        )


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
