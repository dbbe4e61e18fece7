"""Bounces and complaints: matched to the delivery they answer, and what they do to an address.

A bounce names a delivery through its return path's token (see
:mod:`reminders.mail.returns`), which names the message's Message-ID, which
the ledger holds: a token that matches no delivery is ignored. Policy, from
``[bounces]``: a permanent failure suppresses the address after ``hard``
(1: at once); temporary failures suppress it after ``soft`` deliveries in a
row bounced, a delivery sent in between that did not bounce breaking the
row; a complaint suppresses it at once, whatever it asked for before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reminders.store.base import Database, stamp
from reminders.store.ledger import suppress

__all__ = ["BOUNCED", "COMPLAINED", "Answered", "bounce_counts", "record_bounce"]

BOUNCED = "bounced"
COMPLAINED = "complained"


@dataclass(frozen=True, slots=True, kw_only=True)
class Answered:
    """What one bounce did: the delivery it answered (if any) and whether it suppressed."""

    matched: bool
    suppressed: bool = False


def record_bounce(
    db: Database, message_id: str, kind: str, now: datetime, *, hard: int = 1, soft: int = 5
) -> Answered:
    """Record a bounce or complaint of the delivery sent as ``message_id``; apply the policy."""
    with db.transaction():
        row = db.execute(
            "SELECT recipient, updated FROM delivery WHERE message_id = ? AND status = 'sent'",
            (message_id,),
        ).fetchone()
        if row is None:
            return Answered(matched=False)
        recipient, sent = row
        db.execute(
            "INSERT INTO bounce (message_id, recipient, kind, sent, created) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (message_id) DO UPDATE SET kind = excluded.kind"
            " WHERE bounce.kind <> 'complaint'",
            (message_id, recipient, kind, sent, stamp(now)),
        )
        if kind == "complaint":
            return Answered(matched=True, suppressed=suppress(db, recipient, COMPLAINED, now))
        if _in_a_row(db, recipient, kind, sent) >= (hard if kind == "hard" else soft):
            return Answered(matched=True, suppressed=suppress(db, recipient, BOUNCED, now))
    return Answered(matched=True)


def _in_a_row(db: Database, recipient: str, kind: str, sent: str) -> int:
    """Hard bounces of the address; or bounces in a row up to the delivery sent at ``sent``.

    A row is broken by a delivery sent before that one that did not bounce.
    """
    if kind == "hard":
        return int(
            db.execute(
                "SELECT count(*) FROM bounce WHERE recipient = ? AND kind = 'hard'", (recipient,)
            ).fetchone()[0]
        )
    clean = db.execute(
        "SELECT max(d.updated) FROM delivery d WHERE d.recipient = ? AND d.status = 'sent'"
        " AND d.updated < ? AND NOT EXISTS (SELECT 1 FROM bounce b"
        " WHERE b.message_id = d.message_id)",
        (recipient, sent),
    ).fetchone()[0]
    return int(
        db.execute(
            "SELECT count(*) FROM bounce WHERE recipient = ? AND kind <> 'complaint'"
            " AND sent > ? AND sent <= ?",
            (recipient, clean or "", sent),
        ).fetchone()[0]
    )


def bounce_counts(db: Database) -> dict[str, int]:
    """How many deliveries bounced hard, soft, or drew a complaint."""
    counts = {"hard": 0, "soft": 0, "complaint": 0}
    for kind, number in db.execute("SELECT kind, count(*) FROM bounce GROUP BY kind"):
        counts[kind] = number
    return counts
