"""Reading times, dates and ranges as people write them, and DST-safe placement."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reminders.inputs.wallclock import (
    WallClockError,
    parse_date,
    parse_time,
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


ZONES = ("America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago")


def _readings(naive: datetime, zone: ZoneInfo) -> set[datetime]:
    """Every instant whose wall clock in ``zone`` reads ``naive``, found without folds."""
    offsets = {
        (naive + timedelta(hours=hours)).replace(tzinfo=zone).utcoffset()
        for hours in range(-30, 31, 6)
    }
    found = set()
    for offset in offsets:
        assert offset is not None
        instant = (naive - offset).replace(tzinfo=UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == naive:
            found.add(instant)
    return found


def _changes(zone: ZoneInfo, year: int) -> list[date]:
    """The days before each day on which the zone's offset changes."""
    midnights = [
        datetime.combine(date(year, 1, 1) + timedelta(days=n), time(), zone) for n in range(366)
    ]
    return [
        day.date()
        for day, after in itertools.pairwise(midnights)
        if day.utcoffset() != after.utcoffset()
    ]


@st.composite
def near_changes(draw: st.DrawFn) -> tuple[datetime, ZoneInfo]:
    """A local time within two days of a DST change (where placing it is hard), or any day."""
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    year = draw(st.integers(2005, 2030))
    day = draw(st.sampled_from(_changes(zone, year) or [date(year, 6, 1)]))
    return datetime.combine(day, time()) + timedelta(
        minutes=draw(st.integers(-2 * 24 * 60, 2 * 24 * 60))
    ), zone


@given(near_changes())
def test_a_local_time_is_placed_only_when_exactly_one_instant_reads_it(
    placed: tuple[datetime, ZoneInfo],
) -> None:
    naive, zone = placed
    readings = _readings(naive, zone)
    if len(readings) == 1:
        assert to_instant(naive.date(), naive.time(), zone) == readings.pop()
    else:
        with pytest.raises(WallClockError, match="twice" if readings else "does not exist"):
            to_instant(naive.date(), naive.time(), zone)
