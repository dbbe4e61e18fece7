"""Telling people when a meeting they were reminded of changes or is cancelled.

What each person was last told of a meeting is a :class:`Snapshot` of the
fields a reader acts on (date and times, venue, room, address, status). A
notice is due when the meeting's current snapshot differs from what they
were told: several edits between ticks compare only the last state (one
notice), and an edit undone before the tick compares equal (none). Notes and
titles are not in the snapshot, so a typo fixed there notifies no one.

A venue announced for a meeting that was TBD is not a change: it makes the
meeting's reminders possible. :func:`observe` records when that happened, so
the plan can turn a reminder whose send time passed while the venue was
unknown into one "venue announced" reminder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import datetime

from reminders.inputs.meetings import Meeting, Series, Snapshot
from reminders.inputs.subscribers import Subscriber
from reminders.kinds import Kind
from reminders.plan import Delivery

__all__ = [
    "Change",
    "Watch",
    "changed_meetings",
    "changes",
    "notice_deliveries",
    "notice_kind",
    "observe",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One thing that changed: ``when``, ``where`` or ``status``."""

    field: str
    old: Snapshot
    new: Snapshot


def changes(old: Snapshot, new: Snapshot) -> list[Change]:
    """What changed between two snapshots, in the order a reader cares about."""
    found = []
    if old.status != new.status:
        found.append(Change(field="status", old=old, new=new))
    if (old.start, old.end) != (new.start, new.end):
        found.append(Change(field="when", old=old, new=new))
    if (old.venue, old.room, old.address) != (new.venue, new.room, new.address):
        found.append(Change(field="where", old=old, new=new))
    return found


def notice_kind(meeting: Meeting, sequence: int) -> Kind:
    """The ledger's name for a notice: one per calendar revision, so each is sent once."""
    return Kind.notice(meeting.cancelled, sequence)


@dataclass(frozen=True, slots=True, kw_only=True)
class Watch:
    """Per meeting: was it seen TBD, when its venue became known, and its first snapshot."""

    meeting_id: str
    tbd_seen: bool
    known_at: datetime | None
    base: Snapshot | None


def observe(
    meetings: Iterable[Meeting], watches: Mapping[str, Watch], now: datetime
) -> dict[str, Watch]:
    """Advance each meeting's watch; return only those that changed."""
    updated = {}
    for meeting in meetings:
        old = watches.get(meeting.id)
        if meeting.venue_tbd:
            new = Watch(
                meeting_id=meeting.id, tbd_seen=True, known_at=None, base=old.base if old else None
            )
        elif old is None:
            new = Watch(
                meeting_id=meeting.id, tbd_seen=False, known_at=None, base=Snapshot.of(meeting)
            )
        elif old.tbd_seen and old.known_at is None:
            new = Watch(
                meeting_id=meeting.id,
                tbd_seen=True,
                known_at=now,
                base=old.base or Snapshot.of(meeting),
            )
        else:
            new = (
                old
                if old.base
                else Watch(
                    meeting_id=meeting.id,
                    tbd_seen=old.tbd_seen,
                    known_at=old.known_at,
                    base=Snapshot.of(meeting),
                )
            )
        if new != old:
            updated[meeting.id] = new
    return updated


def changed_meetings(
    series: Series,
    told_states: Mapping[str, Set[Snapshot]],
    watches: Mapping[str, Watch],
    audience: str,
    now: datetime,
) -> list[Meeting]:
    """Meetings ahead that someone was told of differently than they are now.

    Looks only at the distinct snapshots told per meeting, so a tick with no
    change costs one comparison per meeting, whatever the number of people.
    """
    found = []
    for meeting in series:
        if meeting.start <= now or (audience != "all" and meeting.id not in told_states):
            continue
        current = Snapshot.of(meeting)
        states = set(told_states.get(meeting.id, ()))
        watch = watches.get(meeting.id)
        if audience == "all" and watch is not None and watch.base is not None:
            states.add(watch.base)
        if any(state != current and changes(state, current) for state in states):
            found.append(meeting)
    return found


def notice_deliveries(
    meetings: Iterable[Meeting],
    subscribers: Iterable[Subscriber],
    told: Mapping[str, Mapping[str, Snapshot]],
    sequences: Mapping[str, int],
    watches: Mapping[str, Watch],
    *,
    audience: str,
    finished: Mapping[tuple[str, str], Set[str]],
    suppressed: Set[str],
) -> list[Delivery]:
    """The change and cancellation notices due for ``meetings`` (see :func:`changed_meetings`).

    ``told`` maps meeting id to recipient to the snapshot they were last sent.
    With ``audience="all"``, people who would get the meeting's reminders but
    were never told anything are compared with its first snapshot with a venue.
    """
    people = list(subscribers)
    deliveries: list[Delivery] = []
    for meeting in meetings:
        current = Snapshot.of(meeting)
        kind = notice_kind(meeting, sequences[meeting.id])
        heard = told.get(meeting.id, {})
        done = finished.get((meeting.id, kind), frozenset())
        base = watches[meeting.id].base if meeting.id in watches else None
        for person in people:
            before = heard.get(person.key)
            if before is None and audience == "all" and person.wants(meeting.city):
                before = base
            if before is None or not changes(before, current):
                continue
            if person.key in suppressed or person.key in done:
                continue
            deliveries.append(
                Delivery(
                    meeting_id=meeting.id,
                    kind=kind,
                    recipient=person.key,
                    closes=meeting.start,
                    previous=before,
                )
            )
    return deliveries
