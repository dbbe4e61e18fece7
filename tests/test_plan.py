"""The plan: windows, what is due, and what is never due (a pure function of now)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from reminders.inputs.meetings import Meeting, Status
from reminders.inputs.subscribers import Subscriber
from reminders.kinds import offset_label
from reminders.plan import Schedule, due, open_windows, say_span, skipped, windows
from tests.conftest import NEW_YORK

MEETING = Meeting(
    id="2011-02-26-worcester",
    city="Worcester",
    title="Worcester",
    start=datetime(2011, 2, 26, 14, tzinfo=NEW_YORK),
    end=datetime(2011, 2, 26, 16, tzinfo=NEW_YORK),
    venue="Worcester Public Library",
)
PEOPLE = [
    Subscriber(email="ana@example.org", cities=frozenset({"Worcester"})),
    Subscriber(email="Sam@Example.org"),
    Subscriber(email="joao@example.org", cities=frozenset({"Lowell"})),
]
THREE_DAYS = Schedule(offsets=(timedelta(days=3),), send_time=time(9))
BOTH = Schedule(offsets=(timedelta(days=3), timedelta(hours=2)), send_time=time(9))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def test_day_offset_opens_at_the_local_send_time_and_closes_at_the_start() -> None:
    [window] = windows(MEETING, THREE_DAYS)
    assert window.opens == at(2011, 2, 23, 9)
    assert window.closes == MEETING.start
    assert window.kind == "reminder:3d"


def test_each_window_closes_when_the_next_closer_one_opens() -> None:
    first, second = windows(MEETING, BOTH)
    assert (first.opens, first.closes) == (at(2011, 2, 23, 9), at(2011, 2, 26, 12))
    assert (second.opens, second.closes) == (at(2011, 2, 26, 12), MEETING.start)


def test_day_offset_keeps_local_send_time_across_a_dst_change() -> None:
    # 3 days before Tuesday March 15, 2011 is Saturday March 12: EST, while the meeting is EDT.
    meeting = replace(MEETING, start=at(2011, 3, 15, 18), end=at(2011, 3, 15, 20))
    [window] = windows(meeting, THREE_DAYS)
    assert window.opens.astimezone(UTC) == datetime(2011, 3, 12, 14, tzinfo=UTC)
    assert f"{window.opens:%H:%M %Z}" == "09:00 EST"


def test_hour_offset_counts_real_hours_across_a_dst_change() -> None:
    meeting = replace(MEETING, start=at(2011, 3, 13, 10), end=at(2011, 3, 13, 12))
    hourly = Schedule(offsets=(timedelta(hours=12),), send_time=time(9))
    [window] = windows(meeting, hourly)
    # 12 real hours before 10:00 EDT is 21:00 EST the day before (the night lost an hour).
    assert window.opens.astimezone(UTC) == datetime(2011, 3, 13, 2, tzinfo=UTC)


def test_due_only_inside_the_window_to_those_who_want_the_city() -> None:
    assert open_windows([MEETING], THREE_DAYS, at(2011, 2, 23, 8, 59)) == []
    open_now = open_windows([MEETING], THREE_DAYS, at(2011, 2, 23, 9, 5))
    deliveries = due(open_now, PEOPLE, {}, set())
    assert [d.recipient for d in deliveries] == ["ana@example.org", "sam@example.org"]


def test_missed_window_is_not_sent_late() -> None:
    after_start = at(2011, 2, 26, 14, 1)
    assert open_windows([MEETING], THREE_DAYS, after_start) == []
    # The 3-day reminder's window closed when the 2-hour one opened.
    [window] = open_windows([MEETING], BOTH, at(2011, 2, 26, 13))
    assert window.kind == "reminder:2h"


def test_new_offset_added_late_does_not_flood() -> None:
    week = Schedule(offsets=(timedelta(days=7), timedelta(days=3)), send_time=time(9))
    [window] = open_windows([MEETING], week, at(2011, 2, 24, 10))
    assert window.kind == "reminder:3d"


def test_tbd_meeting_gets_no_reminder() -> None:
    tbd = replace(MEETING, venue=None)
    assert windows(tbd, BOTH) == []
    assert [s.reason for s in skipped([tbd], at(2011, 2, 20))] == [
        "venue TBD: no reminder until it is known"
    ]


def test_cancelled_meeting_gets_no_reminder() -> None:
    cancelled = replace(MEETING, status=Status.CANCELLED)
    assert windows(cancelled, BOTH) == []
    assert skipped([cancelled], at(2011, 2, 20))[0].reason == "cancelled"


def test_finished_and_suppressed_recipients_are_not_due() -> None:
    open_now = open_windows([MEETING], THREE_DAYS, at(2011, 2, 23, 9, 5))
    finished = {(MEETING.id, "reminder:3d"): {"ana@example.org"}}
    assert due(open_now, PEOPLE, finished, set()) != []
    assert due(open_now, PEOPLE, finished, {"sam@example.org"}) == []


def test_offset_labels_are_compact_and_stable() -> None:
    assert [
        offset_label(timedelta(days=3)),
        offset_label(timedelta(hours=2)),
        offset_label(timedelta(minutes=90)),
    ] == ["3d", "2h", "90m"]


def test_a_span_is_said_in_its_largest_whole_unit() -> None:
    spans = [timedelta(days=1), timedelta(hours=36), timedelta(minutes=90), timedelta(seconds=30)]
    assert [say_span(s) for s in spans] == ["1 day", "36 hours", "90 minutes", "30 seconds"]
