"""Reading times, dates and ranges as people write them, and DST-safe placement."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reminders.inputs.wallclock import (
    WallClockError,
    parse_date,
    parse_time,
    parse_time_range,
    to_instant,
)
from tests.conftest import NEW_YORK


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2pm", time(14)),
        ("2 PM", time(14)),
        ("2:30 pm", time(14, 30)),
        ("2.30p.m.", time(14, 30)),
        ("14:00", time(14)),
        ("12pm", time(12)),
        ("12am", time(0)),
        ("noon", time(12)),
        ("9:05am", time(9, 5)),
    ],
)
def test_time_forms_people_write(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["2", "13pm", "25:00", "14:75", "two", ""])
def test_unreadable_or_ambiguous_time_is_refused(text: str) -> None:
    with pytest.raises(WallClockError):
        parse_time(text)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2-4pm", time(14), time(16)),
        ("3 \u2013 5 pm", time(15), time(17)),
        ("12-2pm", time(12), time(14)),
        ("6-8pm", time(18), time(20)),
        ("11-1pm", time(11), time(13)),
        ("10am-12pm", time(10), time(12)),
        ("9:30-11am", time(9, 30), time(11)),
        ("18:00-20:00", time(18), time(20)),
        ("noon to 2pm", time(12), time(14)),
    ],
)
def test_time_ranges_of_announcements(text: str, start: time, end: time) -> None:
    assert parse_time_range(text) == (start, end)


def test_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(WallClockError, match="ends before it starts"):
        parse_time_range("4pm-2pm")


def _twelve_hour(clock: time, meridiem: bool) -> str:
    hour = clock.hour % 12 or 12
    text = f"{hour}:{clock.minute:02d}" if clock.minute else str(hour)
    return text + (("pm" if clock.hour >= 12 else "am") if meridiem else "")


quarter_hours = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@given(quarter_hours, quarter_hours, st.sampled_from(["-", "\u2013", " - ", " to "]))
def test_any_range_written_in_twelve_hour_form_reads_back(a: time, b: time, dash: str) -> None:
    start, end = sorted((a, b))
    if start == end:
        return
    same_half = (start.hour >= 12) == (end.hour >= 12)
    # The start may drop its am/pm only when it shares the end's half of the day.
    text = _twelve_hour(start, not same_half) + dash + _twelve_hour(end, True)
    assert parse_time_range(text) == (start, end)


@given(quarter_hours, quarter_hours)
def test_any_range_in_24_hour_form_reads_back(a: time, b: time) -> None:
    start, end = sorted((a, b))
    text = f"{start:%H:%M}-{end:%H:%M}"
    if start == end:
        with pytest.raises(WallClockError):
            parse_time_range(text)
    else:
        assert parse_time_range(text) == (start, end)


@given(st.text(max_size=40))
def test_time_range_reader_never_crashes(text: str) -> None:
    try:
        start, end = parse_time_range(text)
    except WallClockError:
        return
    assert start < end


def test_dates_with_and_without_weekday_and_comma() -> None:
    assert parse_date("Saturday, February 26, 2011") == date(2011, 2, 26)
    assert parse_date("Saturday July 9", year=2011) == date(2011, 7, 9)
    assert parse_date("Feb. 26 2011") == date(2011, 2, 26)


def test_weekday_that_does_not_match_the_date_is_refused() -> None:
    with pytest.raises(WallClockError, match="is a Saturday"):
        parse_date("Sunday, February 26, 2011")


def test_impossible_date_is_refused() -> None:
    with pytest.raises(WallClockError, match="out of range"):
        parse_date("February 30, 2011")


def test_local_time_is_placed_in_its_zone() -> None:
    start = to_instant(date(2011, 2, 26), time(14), NEW_YORK)
    assert start.astimezone(UTC) == datetime(2011, 2, 26, 19, tzinfo=UTC)
    summer = to_instant(date(2011, 7, 9), time(12), NEW_YORK)
    assert summer.astimezone(UTC) == datetime(2011, 7, 9, 16, tzinfo=UTC)


def test_time_skipped_by_spring_forward_is_refused() -> None:
    with pytest.raises(WallClockError, match=r"does not exist.*jump forward an hour"):
        to_instant(date(2011, 3, 13), time(2, 30), NEW_YORK)


def test_time_repeated_by_fall_back_is_refused() -> None:
    with pytest.raises(WallClockError, match="happens twice"):
        to_instant(date(2011, 11, 6), time(1, 30), NEW_YORK)


def test_times_beside_a_dst_change_are_fine() -> None:
    before = to_instant(date(2011, 3, 13), time(1, 59), NEW_YORK)
    after = to_instant(date(2011, 3, 13), time(3, 0), NEW_YORK)
    # Same-zone subtraction in Python is wall-clock; compare on the UTC time line.
    assert (after.astimezone(UTC) - before.astimezone(UTC)).total_seconds() == 60
