"""Dates and times as announcements write them: English, Spanish and Portuguese."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reminders.inputs.announcements.when import find_date, find_time_range, language_of
from reminders.inputs.wallclock import WallClockError


def parse_time_range(text: str) -> tuple[time, time]:
    found = find_time_range(text)
    if found is None:
        raise WallClockError(f"no time range in {text!r}")
    value = found.value
    assert isinstance(value, tuple)
    start, end = value
    return start, end


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


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("6:30 p.m. - 8:00 p.m.", time(18, 30), time(20)),
        ("1:00 p.m. - 2:00p.m.", time(13), time(14)),
        ("6pm-8pm", time(18), time(20)),
        ("6-8 PM", time(18), time(20)),
        ("10 a.m. - noon", time(10), time(12)),
        ("from 7 to 9 p.m.", time(19), time(21)),
        ("de 2 a 4 de la tarde", time(14), time(16)),
        ("6:30 a 8:30 pm", time(18, 30), time(20, 30)),
        ("15h às 17h", time(15), time(17)),
        ("18h30 às 20h30", time(18, 30), time(20, 30)),
    ],
)
def test_times_as_people_write_them(text: str, start: time, end: time) -> None:
    assert parse_time_range(text) == (start, end)


@pytest.mark.parametrize("text", ["Room 205-206", "70-71 North Parish Rd", "617-555-0100"])
def test_numbers_that_are_not_times_are_not_read_as_times(text: str) -> None:
    assert find_time_range(text) is None


@pytest.mark.parametrize(
    ("text", "language", "day"),
    [
        ("Sat., Aug. 13", "en", date(2016, 8, 13)),
        ("Thursday, March 21", "en", date(2013, 3, 21)),
        ("Tue 12/8/2015", "en", date(2015, 12, 8)),
        ("sábado 27 de septiembre", "es", date(2014, 9, 27)),
        ("quinta-feira, 14 de abril", "pt", date(2016, 4, 14)),
        ("3 de março de 2016", "pt", date(2016, 3, 3)),
        ("8/12/2015", "es", date(2015, 12, 8)),
    ],
)
def test_dates_as_people_write_them(text: str, language: str, day: date) -> None:
    found = find_date(text, day.year, language)
    assert found is not None
    assert found.value == day


def test_a_weekday_that_disagrees_with_the_date_is_refused() -> None:
    with pytest.raises(WallClockError, match="is a Tuesday"):
        find_date("Saturday, August 20", 2013)


def test_a_december_release_listing_january_means_the_next_year() -> None:
    found = find_date("Thursday, January 12", None, after=date(2016, 12, 10))
    assert found is not None
    assert found.value == date(2017, 1, 12)


def test_the_language_is_told_by_its_words() -> None:
    assert language_of("Foro comunitario el sábado, con interpretación y cuidado de niños") == "es"
    assert language_of("Encontro com a comunidade no sábado, das 15h às 17h, não perca") == "pt"
    assert language_of("The meetings of the coalition, as agreed") == "en"
