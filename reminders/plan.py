"""Deciding who gets which reminder when: a pure function of its inputs and ``now``.

Each meeting has one send window per offset. A day offset ("3 days") opens at
the configured local send time N days before the meeting, in the meeting's
zone; an hour or minute offset opens that long before the start. A window
closes when the next one opens, the last when the meeting starts: a delivery
whose window has closed is missed, never sent late. So a first start, a new
offset or a daemon back from a week away cannot flood anyone with stale
reminders. TBD and cancelled meetings have no windows.

Only meetings × offsets are looked at to find open windows; subscribers are
visited only for windows open now, so a tick with nothing due is cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from reminders.inputs.meetings import Meeting, Snapshot
from reminders.inputs.subscribers import Subscriber
from reminders.kinds import Kind

__all__ = [
    "Delivery",
    "Schedule",
    "Skip",
    "Window",
    "due",
    "open_windows",
    "say_span",
    "skipped",
    "upcoming",
    "windows",
]

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """When reminders go out: the offsets before each meeting and the day send time."""

    offsets: tuple[timedelta, ...] = (timedelta(days=3),)
    send_time: time = time(9)
    late_venue_before: timedelta = timedelta(days=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """The span in which one reminder of one meeting may be sent."""

    meeting: Meeting
    kind: Kind
    offset: timedelta
    opens: datetime
    closes: datetime

    def is_open(self, now: datetime) -> bool:
        return self.opens <= now < self.closes


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One message due to one person."""

    meeting_id: str
    kind: Kind
    recipient: str  # the subscriber's key (case-folded address)
    closes: datetime
    previous: Snapshot | None = None  # for a notice: what the person was last told


@dataclass(frozen=True, slots=True, kw_only=True)
class Skip:
    """A meeting that gets no reminders, and why."""

    meeting: Meeting
    reason: str


def _opening(meeting: Meeting, offset: timedelta, send_time: time) -> datetime:
    if offset % DAY:
        return (meeting.start.astimezone(UTC) - offset).astimezone(meeting.zone)
    day = meeting.start.date() - offset
    local = datetime.combine(day, send_time, tzinfo=meeting.zone)
    # A send time inside a DST gap moves to the same instant's later wall time.
    return local.astimezone(UTC).astimezone(meeting.zone)


def windows(meeting: Meeting, schedule: Schedule, known_at: datetime | None = None) -> list[Window]:
    """Every send window of a meeting, in time order (none while TBD or cancelled).

    ``known_at`` is when a venue that was TBD became known. Windows that opened
    before then are replaced by one "venue announced" window from that moment,
    if the meeting was still more than ``schedule.late_venue_before`` away, so
    nobody gets a "3 days" reminder two days before, or a late one at all.
    """
    if meeting.venue_tbd or meeting.cancelled:
        return []
    openings = sorted((_opening(meeting, o, schedule.send_time), o) for o in schedule.offsets)
    closings = [opens for opens, _ in openings[1:]] + [meeting.start]
    regular = [
        Window(
            meeting=meeting,
            kind=Kind.reminder(offset),
            offset=offset,
            opens=opens,
            closes=closes,
        )
        for (opens, offset), closes in zip(openings, closings, strict=True)
        if opens < closes
    ]
    if known_at is None:
        return regular
    late = [w for w in regular if w.opens < known_at]
    on_time = [w for w in regular if w.opens >= known_at]
    if not late or meeting.start - known_at <= schedule.late_venue_before:
        return on_time
    venue = Window(
        meeting=meeting,
        kind=Kind.venue(),
        offset=meeting.start - known_at,
        opens=known_at,
        closes=late[-1].closes,
    )
    return [venue, *on_time]


def open_windows(
    meetings: Iterable[Meeting],
    schedule: Schedule,
    now: datetime,
    known: Mapping[str, datetime] | None = None,
) -> list[Window]:
    """The windows open at ``now`` (``known``: when TBD venues became known)."""
    known = known or {}
    # No window of a meeting opens earlier than this far ahead of it (the day offsets
    # send at a time of day, so allow one more day).
    horizon = max(schedule.offsets) + DAY
    return [
        w
        for m in meetings
        if now < m.start <= now + horizon
        for w in windows(m, schedule, known.get(m.id))
        if w.is_open(now)
    ]


def upcoming(
    meetings: Iterable[Meeting],
    schedule: Schedule,
    now: datetime,
    until: datetime,
    known: Mapping[str, datetime] | None = None,
) -> list[Window]:
    """The windows open now or opening by ``until``, in time order."""
    known = known or {}
    found = [
        w
        for m in meetings
        for w in windows(m, schedule, known.get(m.id))
        if w.closes > now and w.opens <= until
    ]
    return sorted(found, key=lambda w: (w.opens, w.meeting.id))


def skipped(
    meetings: Iterable[Meeting],
    now: datetime,
    schedule: Schedule | None = None,
    known: Mapping[str, datetime] | None = None,
) -> list[Skip]:
    """Meetings ahead that get no reminders, or lose some, with the reason.

    With the ``schedule`` and ``known`` (when TBD venues became known), a
    reminder dropped because its venue came too late is listed too.
    """
    skips = []
    for meeting in meetings:
        if meeting.start <= now:
            continue
        if meeting.cancelled:
            skips.append(Skip(meeting=meeting, reason="cancelled"))
        elif meeting.venue_tbd:
            skips.append(Skip(meeting=meeting, reason="venue TBD: no reminder until it is known"))
        elif schedule is not None and known and meeting.id in known:
            skips.extend(_late_venue(meeting, schedule, known[meeting.id]))
    return skips


def say_span(span: timedelta) -> str:
    """Say a span as the settings do: ``1 day``, ``36 hours``, ``90 minutes``, ``30 seconds``."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 24 * 3600), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def _late_venue(meeting: Meeting, schedule: Schedule, known_at: datetime) -> list[Skip]:
    """The reminders a venue announced at ``known_at`` came too late for."""
    regular = {w.kind for w in windows(meeting, schedule)}
    kept = {w.kind for w in windows(meeting, schedule, known_at)}
    lost = sorted(kind.label for kind in regular - kept)
    if not lost or Kind.venue() in kept:  # a "venue announced" reminder stands in for them
        return []
    known_at = known_at.astimezone(meeting.zone)
    return [
        Skip(
            meeting=meeting,
            reason=f"venue announced {known_at:%Y-%m-%d %H:%M %Z}, too late for the "
            f"{', '.join(lost)} reminder (less than {say_span(schedule.late_venue_before)} ahead)",
        )
    ]


def due(
    open_now: Iterable[Window],
    subscribers: Iterable[Subscriber],
    finished: Mapping[tuple[str, str], Set[str]],
    suppressed: Set[str],
) -> list[Delivery]:
    """The deliveries of open windows not yet finished, for people who want them.

    ``finished`` maps (meeting id, kind) to the recipients the ledger has done
    with (sent, failed for good, or waiting out a retry delay).
    """
    people = list(subscribers)
    deliveries: list[Delivery] = []
    for window in open_now:
        done = finished.get((window.meeting.id, window.kind), frozenset())
        deliveries.extend(
            Delivery(
                meeting_id=window.meeting.id,
                kind=window.kind,
                recipient=person.key,
                closes=window.closes,
            )
            for person in people
            if person.wants(window.meeting.city)
            and person.key not in done
            and person.key not in suppressed
        )
    return deliveries
