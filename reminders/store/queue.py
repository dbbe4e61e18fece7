"""The work queue: deliveries due, claimed a batch at a time under a lease, released.

Planning adds the deliveries due now as ``due`` rows of the ledger
(``INSERT ... ON CONFLICT DO NOTHING``, so daemons planning at once are
harmless); a sender claims a small batch under a lease (``claimed_by``,
``lease_until``); claims of a dead sender expire with their lease and are
taken by another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from reminders.plan import Delivery
from reminders.store.base import Database, stamp

__all__ = [
    "Holding",
    "Key",
    "claim",
    "claims",
    "enqueue",
    "expire",
    "key",
    "release",
    "release_dead",
    "withdraw",
]


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
