"""Each meeting's revision in calendars: SEQUENCE and LAST-MODIFIED.

A calendar app replaces the event it holds only when the SEQUENCE goes up, so
a build compares each meeting's fingerprint (a hash of what a calendar shows)
with the stored one: a change bumps SEQUENCE and stamps the moment; no change
keeps both, so building twice gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache

from reminders.store.base import Database
from reminders.store.editions import Copy, renew

__all__ = ["Revision", "load_revisions", "revise", "save_revisions", "stored_revisions"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Revision:
    """What the feed says of one meeting's version."""

    meeting_id: str
    fingerprint: str
    sequence: int
    modified: datetime


def revise(
    fingerprints: Mapping[str, str], previous: Mapping[str, Revision], now: datetime
) -> dict[str, Revision]:
    """Return each meeting's revision, bumped where its fingerprint changed."""
    stamp = now.astimezone(UTC).replace(microsecond=0)
    revised: dict[str, Revision] = {}
    for meeting_id, fingerprint in fingerprints.items():
        old = previous.get(meeting_id)
        if old is None:
            revised[meeting_id] = Revision(
                meeting_id=meeting_id, fingerprint=fingerprint, sequence=0, modified=stamp
            )
        elif old.fingerprint != fingerprint:
            revised[meeting_id] = replace(
                old, fingerprint=fingerprint, sequence=old.sequence + 1, modified=stamp
            )
        else:
            revised[meeting_id] = old
    return revised


def load_revisions(db: Database, copy: Copy[Revision] | None = None) -> Mapping[str, Revision]:
    """Every stored revision, removed meetings' included (``copy``: as last read, if current)."""
    if copy is not None:
        return copy.read(db)
    return _load(db)


def stored_revisions() -> Copy[Revision]:
    """A copy of the stored revisions, for a process that reads them again and again."""
    return Copy("revision", _load)


def _load(db: Database) -> dict[str, Revision]:
    rows = db.execute("SELECT meeting_id, fingerprint, sequence, modified FROM revision")
    return {row[0]: _revision(*row) for row in rows}


# A daemon reads every revision again when another process wrote some: an unchanged row
# gives the same object, which costs less to make and to compare, and leaves the cycle
# collector nothing new to walk.
@lru_cache(maxsize=1 << 15)
def _revision(meeting_id: str, fingerprint: str, sequence: int, modified: str) -> Revision:
    return Revision(
        meeting_id=meeting_id,
        fingerprint=fingerprint,
        sequence=sequence,
        modified=datetime.fromisoformat(modified),
    )


def save_revisions(
    db: Database, revisions: Iterable[Revision], copy: Copy[Revision] | None = None
) -> None:
    """Store revisions in one transaction (a removed meeting's row is kept for its return)."""
    written = {revision.meeting_id: revision for revision in revisions}
    if not written:
        return  # a new edition would only send other processes' copies to read again
    with db.transaction():
        db.executemany(
            "INSERT INTO revision (meeting_id, fingerprint, sequence, modified)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (meeting_id) DO UPDATE SET"
            " fingerprint = excluded.fingerprint, sequence = excluded.sequence,"
            " modified = excluded.modified",
            [
                (r.meeting_id, r.fingerprint, r.sequence, r.modified.isoformat())
                for r in written.values()
            ],
        )
        renew(db, "revision", written, copy)
