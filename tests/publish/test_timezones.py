"""VTIMEZONE components: yearly RRULE observances that agree with zoneinfo."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.tz import tzical

from reminders.publish.timezones import transitions, vtimezone

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",  # southern hemisphere: DST spans the new year
    "Asia/Kolkata",  # no DST at all
    "America/Sao_Paulo",  # DST abolished in 2019
    "Europe/Moscow",  # permanent offsets changed in 2011 and 2014
]


def parsed(zone: ZoneInfo, first: date, last: date) -> object:
    text = vtimezone(zone, first, last).to_ical().decode()
    return tzical(io.StringIO(text)).get(zone.key)


@pytest.mark.parametrize("key", ZONES)
@pytest.mark.parametrize("years", [(2011, 2011), (2017, 2020)])
def test_vtimezone_gives_the_same_offsets_as_zoneinfo(key: str, years: tuple[int, int]) -> None:
    zone = ZoneInfo(key)
    first, last = date(years[0], 1, 1), date(years[1], 12, 31)
    other = parsed(zone, first, last)
    at = datetime(years[0], 1, 1, tzinfo=UTC)
    while at.year <= years[1]:
        # An independent reader (dateutil's) of our text must agree with zoneinfo.
        assert at.astimezone(other).utcoffset() == at.astimezone(zone).utcoffset(), at  # type: ignore[arg-type]
        at += timedelta(hours=5)


def test_new_york_is_written_as_two_yearly_rules_not_a_list_of_dates() -> None:
    text = vtimezone(ZoneInfo("America/New_York"), date(2011, 2, 26), date(2011, 7, 9))
    ical = text.to_ical().decode()
    assert "RDATE" not in ical
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in ical
    assert "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in ical


def test_onset_is_the_local_time_before_the_change() -> None:
    zone = ZoneInfo("America/New_York")
    start = datetime(2011, 1, 1, tzinfo=UTC)
    spring = transitions(zone, start, start + timedelta(days=100))[0]
    assert spring.at == datetime(2011, 3, 13, 7, tzinfo=UTC)
    assert spring.onset == datetime(2011, 3, 13, 2)  # noqa: DTZ001 (a floating local time)


def test_zone_that_dropped_dst_gets_an_until_on_its_old_rule() -> None:
    ical = vtimezone(ZoneInfo("America/Sao_Paulo"), date(2016, 1, 1), date(2020, 1, 1))
    text = ical.to_ical().decode()
    assert "UNTIL=" in text


@pytest.mark.parametrize("key", ["America/New_York", "Australia/Sydney", "Europe/Moscow"])
def test_changes_over_a_span_are_those_of_its_parts_each_once(key: str) -> None:
    zone = ZoneInfo(key)
    start, end = datetime(2009, 6, 1, tzinfo=UTC), datetime(2016, 2, 1, tzinfo=UTC)
    whole = transitions(zone, start, end)
    # Cut at new year, inside a year and exactly at a change: none is lost or repeated.
    cuts = sorted(
        [start, datetime(2011, 1, 1, tzinfo=UTC), whole[1].at, datetime(2014, 8, 9, tzinfo=UTC)]
    )
    parts = [transitions(zone, a, b) for a, b in zip(cuts, [*cuts[1:], end], strict=True)]
    assert [change for part in parts for change in part] == list(whole)
