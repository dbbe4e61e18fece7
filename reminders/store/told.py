"""What each person was last told of each meeting, and each meeting's venue watch.

The snapshot a person's latest message showed is what change notices are
compared with; a venue watch says whether a meeting was seen TBD and when its
venue became known.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from functools import lru_cache

from reminders.inputs.meetings import Snapshot
from reminders.notices import Watch
from reminders.store.base import Database, stamp
from reminders.store.editions import Copy, renew

__all__ = ["load_watches", "save_watches", "stored_watches", "told", "told_states"]


# A daemon reads what people were told each tick, and every watch again whenever another
# process wrote one; most people were told the same snapshot of a meeting, and the
# stored text of a snapshot rarely changes, so each is decoded once.
@lru_cache(maxsize=1 << 15)
def _snapshot(text: str) -> Snapshot:
    return Snapshot.loads(text)


def told_states(db: Database) -> dict[str, set[Snapshot]]:
    """Per meeting, the distinct snapshots people were last told (a few rows, not per person)."""
    states: dict[str, set[Snapshot]] = {}
    for meeting_id, snapshot in db.execute("SELECT DISTINCT meeting_id, snapshot FROM told"):
        states.setdefault(meeting_id, set()).add(_snapshot(snapshot))
    return states


def told(db: Database, meeting_ids: Iterable[str]) -> dict[str, dict[str, Snapshot]]:
    """Per meeting, what each recipient was last told."""
    found: dict[str, dict[str, Snapshot]] = {}
    for meeting_id in meeting_ids:
        rows = db.execute(
            "SELECT recipient, snapshot FROM told WHERE meeting_id = ?", (meeting_id,)
        )
        found[meeting_id] = {recipient: _snapshot(text) for recipient, text in rows}
    return found


def load_watches(
    db: Database, meeting_ids: Collection[str] | None = None, copy: Copy[Watch] | None = None
) -> Mapping[str, Watch]:
    """Every meeting's venue watch, or at least those of ``meeting_ids``.

    With ``copy``, every watch, as last read if no other process wrote one since.
    """
    if copy is not None:
        return copy.read(db)
    if meeting_ids is None or len(meeting_ids) > FEW:
        return _all_watches(db)
    where = f"{_WATCHES} WHERE meeting_id = ?"
    return {row[0]: _watch(*row) for key in meeting_ids for row in db.execute(where, (key,))}


def stored_watches() -> Copy[Watch]:
    """A copy of the venue watches, for a process that reads them again and again."""
    return Copy("watch", _all_watches)


_WATCHES = "SELECT meeting_id, tbd_seen, known_at, base FROM watch"


def _all_watches(db: Database) -> dict[str, Watch]:
    return {row[0]: _watch(*row) for row in db.execute(_WATCHES)}


# Fewer meetings than this are read one by one; more, with all the others.
FEW = 100


# Read again after another process writes: an unchanged row gives the same object.
@lru_cache(maxsize=1 << 15)
def _watch(meeting_id: str, tbd_seen: int, known_at: str | None, base: str | None) -> Watch:
    return Watch(
        meeting_id=meeting_id,
        tbd_seen=bool(tbd_seen),
        known_at=datetime.fromisoformat(known_at) if known_at else None,
        base=_snapshot(base) if base else None,
    )


def save_watches(db: Database, watches: Iterable[Watch], copy: Copy[Watch] | None = None) -> None:
    """Store changed venue watches in one transaction."""
    written = {watch.meeting_id: watch for watch in watches}
    rows = [
        (
            w.meeting_id,
            int(w.tbd_seen),
            w.known_at and stamp(w.known_at),
            w.base and w.base.dumps(),
        )
        for w in written.values()
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
        renew(db, "watch", written, copy)
