"""Loading and validating the meetings file: every problem, with its line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reminders.errors import DataError
from reminders.inputs.meetings import TBD_MARKERS, LastReading, Snapshot, Status, is_tbd
from reminders.inputs.meetings_file import load_series
from tests.conftest import MEETINGS

WriteMeetings = Callable[..., Path]

WORCESTER = """\
[[meeting]]
id = "2011-02-26-worcester"
city = "Worcester"
date = 2011-02-26
start = "14:00"
end = "16:00"
venue = "Worcester Public Library"
"""


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DataError) as caught:
        load_series(path)
    return [str(problem) for problem in caught.value.problems]


def test_bundled_data_has_the_ten_seed_meetings() -> None:
    series = load_series(MEETINGS)
    assert len(series) == 10
    assert series.timezone.key == "America/New_York"
    assert [m.city for m in series] == [
        "Worcester",
        "Framingham",
        "Lawrence",
        "Waltham",
        "Chelsea",
        "Brockton",
        "Lowell",
        "New Bedford",
        "Springfield",
        "Boston",
    ]
    assert [m.city for m in series if m.venue_tbd] == [
        "Waltham",
        "Chelsea",
        "Brockton",
        "Lowell",
        "New Bedford",
        "Springfield",
        "Boston",
    ]


def test_worcester_starts_and_ends_at_the_right_instants() -> None:
    worcester = load_series(MEETINGS).get("2011-02-26-worcester")
    assert worcester is not None
    assert worcester.start.astimezone(UTC) == datetime(2011, 2, 26, 19, tzinfo=UTC)
    assert worcester.end.astimezone(UTC) == datetime(2011, 2, 26, 21, tzinfo=UTC)
    assert worcester.zone.key == "America/New_York"


def test_string_dates_and_times_are_read_like_toml_ones(meetings_file: WriteMeetings) -> None:
    path = meetings_file(
        WORCESTER.replace("2011-02-26\n", '"Saturday, February 26, 2011"\n')
        .replace('"14:00"', '"2pm"')
        .replace('"16:00"', "16:00:00")
    )
    meeting = load_series(path).meetings[0]
    assert meeting.start.astimezone(UTC) == datetime(2011, 2, 26, 19, tzinfo=UTC)
    assert meeting.end.astimezone(UTC) == datetime(2011, 2, 26, 21, tzinfo=UTC)


@pytest.mark.parametrize(
    "venue", [None, "", "TBD", "tbd", "To be determined", "Location (TBD)", "  TBA "]
)
def test_every_way_of_saying_venue_unknown_means_tbd(
    meetings_file: WriteMeetings, venue: str | None
) -> None:
    text = WORCESTER.replace('venue = "Worcester Public Library"\n', "")
    if venue is not None:
        text += f'venue = "{venue}"\n'
    meeting = load_series(meetings_file(text)).meetings[0]
    assert meeting.venue_tbd
    assert meeting.venue is None
    assert is_tbd(venue)


def test_default_title_comes_from_calendar_and_city(meetings_file: WriteMeetings) -> None:
    assert load_series(meetings_file(WORCESTER)).meetings[0].title == "Test meetings – Worcester"


def test_meeting_overrides_the_calendar_timezone(meetings_file: WriteMeetings) -> None:
    meeting = load_series(meetings_file(WORCESTER + 'timezone = "America/Chicago"\n')).meetings[0]
    assert meeting.start.astimezone(UTC) == datetime(2011, 2, 26, 20, tzinfo=UTC)


def test_cancelled_status_is_kept(meetings_file: WriteMeetings) -> None:
    meeting = load_series(meetings_file(WORCESTER + 'status = "cancelled"\n')).meetings[0]
    assert meeting.status is Status.CANCELLED
    assert meeting.cancelled


def test_meeting_past_midnight_with_end_date(meetings_file: WriteMeetings) -> None:
    text = WORCESTER.replace('"14:00"', '"22:00"').replace('"16:00"', '"01:00"')
    meeting = load_series(meetings_file(text + "end_date = 2011-02-27\n")).meetings[0]
    assert meeting.end.astimezone(UTC) == datetime(2011, 2, 27, 6, tzinfo=UTC)


def test_unknown_timezone(meetings_file: WriteMeetings) -> None:
    path = meetings_file(WORCESTER, calendar=calendar_with_zone("Mars/Olympus"))
    assert problems_of(path) == [
        f"{path}:3: unknown timezone 'Mars/Olympus' (use an IANA name such as 'America/New_York')"
    ]


def calendar_with_zone(zone: str) -> str:
    return f'[calendar]\nname = "T"\ntimezone = "{zone}"\ndomain = "example.org"\n'


def test_impossible_toml_date(meetings_file: WriteMeetings) -> None:
    path = meetings_file(WORCESTER.replace("2011-02-26", "2011-02-30"))
    assert problems_of(path) == [
        f"{path}:9: not valid TOML: impossible date 2011-02-30 (day is out of range for month)"
    ]


def test_impossible_string_date(meetings_file: WriteMeetings) -> None:
    path = meetings_file(WORCESTER.replace("2011-02-26\n", '"February 30, 2011"\n'))
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:9: meeting '2011-02-26-worcester': date")
    assert "day is out of range for month" in problem


def test_end_before_start(meetings_file: WriteMeetings) -> None:
    path = meetings_file(WORCESTER.replace('"16:00"', '"13:00"'))
    assert problems_of(path) == [
        f"{path}:11: meeting '2011-02-26-worcester': end 13:00 is not after start 14:00; "
        "a meeting that ends after midnight needs end_date"
    ]


def test_duplicate_id_names_the_first_use(meetings_file: WriteMeetings) -> None:
    path = meetings_file(WORCESTER + "\n" + WORCESTER.replace("Worcester", "Lowell"))
    assert f"{path}:15: duplicate meeting id '2011-02-26-worcester' (first used on line 7)" in (
        problems_of(path)
    )


def test_missing_field(meetings_file: WriteMeetings) -> None:
    path = meetings_file(WORCESTER.replace('city = "Worcester"\n', ""))
    assert problems_of(path) == [f"{path}:6: meeting '2011-02-26-worcester': missing field 'city'"]


def test_unknown_field_suggests_the_right_one(meetings_file: WriteMeetings) -> None:
    path = meetings_file(WORCESTER.replace("venue =", "venu ="))
    assert problems_of(path) == [
        f"{path}:12: meeting '2011-02-26-worcester': unknown field 'venu' (did you mean 'venue'?)"
    ]


def test_time_skipped_by_dst(meetings_file: WriteMeetings) -> None:
    path = meetings_file(
        WORCESTER.replace("2011-02-26", "2011-03-13").replace('"14:00"', '"02:30"')
    )
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:10: meeting '2011-03-13-worcester': start 02:30")
    assert "does not exist in America/New_York" in problem
    assert "choose a time outside the skipped hour" in problem


def test_time_repeated_by_dst(meetings_file: WriteMeetings) -> None:
    path = meetings_file(
        WORCESTER.replace("2011-02-26", "2011-11-06").replace('"14:00"', '"01:30"')
    )
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:10: meeting '2011-11-06-worcester': start 01:30")
    assert "happens twice in America/New_York" in problem


def test_malformed_toml(meetings_file: WriteMeetings) -> None:
    path = meetings_file(WORCESTER.replace('city = "Worcester"', 'city = "Worcester'))
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:8: not valid TOML")


def test_every_problem_is_reported_at_once(meetings_file: WriteMeetings) -> None:
    text = WORCESTER.replace("venue =", "venu =") + "\n" + WORCESTER.replace('"16:00"', '"1pm"')
    path = meetings_file(text, calendar=calendar_with_zone("Nowhere/City"))
    lines = [problem.split(":")[1] for problem in problems_of(path)]
    assert lines == ["3", "12", "15", "19"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('id = "2011-02-26-worcester"', 'id = "Worcester 1"'), "may use only a-z"),
        (('status = "x"', None), None),
        (("2011-02-26\n", "26\n"), "date must be a date"),
        (('"14:00"', "14"), "start must be a local time"),
        (('"14:00"', '"2"'), "ambiguous: say am or pm"),
    ],
)
def test_wrong_values_are_named(
    meetings_file: WriteMeetings, change: tuple[str, str | None], message: str | None
) -> None:
    old, new = change
    text = WORCESTER + old + "\n" if new is None else WORCESTER.replace(old, new)
    [problem] = problems_of(meetings_file(text))
    assert (message or "status must be 'confirmed' or 'cancelled'") in problem


@pytest.mark.parametrize(
    ("date", "problem"),
    [
        ("9999-12-31", "date 9999-12-31 is not a year from 1970 to 9000"),
        ("0001-01-01", "date 0001-01-01 is not a year from 1970 to 9000"),
    ],
)
def test_dates_every_command_can_compute_with(
    meetings_file: WriteMeetings, date: str, problem: str
) -> None:
    path = meetings_file(WORCESTER.replace("2011-02-26", date))
    [found] = problems_of(path)
    assert problem in found
    assert found.startswith(f"{path}:")


def test_a_long_or_odd_zone_name_is_refused_without_touching_the_disk(
    meetings_file: WriteMeetings,
) -> None:
    long_name = "America/" + "x" * 300
    for name in (long_name, "../../etc/passwd", "America/Nowhere"):
        path = meetings_file(WORCESTER + f'timezone = "{name}"\n')
        [found] = problems_of(path)
        assert "unknown timezone" in found
        assert "x" * 100 not in found


def test_controls_and_bidi_overrides_never_reach_a_meeting(meetings_file: WriteMeetings) -> None:
    text = 'notes = "first\\u0000 line\\nsecond \\u202eevil\\u202c line"\n'
    venue = 'title = "Town \\u2066hall\\u2069 \\u001b[31m"\n'
    [meeting] = load_series(meetings_file(WORCESTER + text + venue)).meetings
    assert meeting.notes == "first  line\nsecond evil line"
    assert meeting.title == "Town hall [31m"


@pytest.mark.parametrize("marker", TBD_MARKERS)
@pytest.mark.parametrize(
    "written", ["{}", "{}.", "({})", "Sat, {}", "LOCATION: {}!", "Centro comunitario - {} -", "{}?"]
)
def test_no_marker_of_an_unknown_place_passes_for_a_venue(marker: str, written: str) -> None:
    for spelled in (marker, marker.upper(), marker.title()):
        assert is_tbd(written.format(spelled)), written.format(spelled)


@pytest.mark.parametrize(
    "venue",
    [
        "Worcester Public Library",
        "Tabernacle Baptist Church",  # "tab" is not "tba"
        "Centro Comunitario Por Todos",
        "Casa Pou Tout Moun",
        "Igreja a Confirmação",  # a word that only starts like "a confirmar"
    ],
)
def test_real_places_are_not_taken_for_tbd(venue: str) -> None:
    assert not is_tbd(venue)


def test_check_shows_a_marked_venue_as_tbd(meetings_file: WriteMeetings) -> None:
    from tests.conftest import run_cli

    path = meetings_file(WORCESTER.replace('"Worcester Public Library"', '"Sat, TBD"'))
    [meeting] = load_series(path).meetings
    assert meeting.venue_tbd
    result = run_cli("check", "--meetings", str(path))
    assert result.returncode == 0, result.stderr
    assert "Worcester  TBD    confirmed" in result.stdout


def test_a_key_given_twice_is_named_with_its_line(meetings_file: WriteMeetings) -> None:
    path = meetings_file(WORCESTER + 'venue = "Town Hall"\n')
    [found] = problems_of(path)
    assert found.startswith(f"{path}:")
    assert "'venue' is given twice in the same table; keep one" in found


def test_line_numbers_count_newlines_only(meetings_file: WriteMeetings) -> None:
    # U+0085 and U+2028 may stand inside a string; they end no line in TOML or an editor.
    path = meetings_file(
        '[[meeting]]\nid = "x"\ncity = "A\u0085B\u2028C"\n\n[[meeting]]\nid = ""\n'
    )
    problems = problems_of(path)
    text = path.read_text(encoding="utf-8")
    empty_id = 1 + text.split("\n").index('id = ""')
    assert any(
        p.startswith(f"{path}:{empty_id}: ") and "id must not be empty" in p for p in problems
    )


@given(st.builds(Snapshot, venue=st.none() | st.text(), room=st.none() | st.text()))
def test_a_stored_snapshot_reads_back_as_itself(snapshot: Snapshot) -> None:
    assert Snapshot.loads(snapshot.dumps()) == snapshot
    assert Snapshot.loads(snapshot.dumps()).dumps() == snapshot.dumps()  # DISTINCT compares text


LOWELL = WORCESTER.replace("worcester", "lowell").replace("Worcester", "Lowell")


def test_a_reading_with_known_meetings_validates_only_changed_tables(
    meetings_file: WriteMeetings,
) -> None:
    known = LastReading()
    before = load_series(meetings_file(WORCESTER + "\n" + LOWELL), known)
    path = meetings_file(WORCESTER + "\n" + LOWELL.replace('"14:00"', '"15:00"'))
    after = load_series(path, known)
    assert after.get("2011-02-26-worcester") is before.get("2011-02-26-worcester")  # not re-read
    lowell = after.get("2011-02-26-lowell")
    assert lowell is not None
    assert lowell.start.hour == 15
    assert after == load_series(path)
    kept = sorted(meeting.id for _, _, meeting in known.meetings.values())
    assert kept == ["2011-02-26-lowell", "2011-02-26-worcester"]


def test_known_meetings_follow_the_calendar_they_were_read_under(
    meetings_file: WriteMeetings,
) -> None:
    known = LastReading()
    load_series(meetings_file(WORCESTER), known)
    moved = load_series(
        meetings_file(WORCESTER, calendar=calendar_with_zone("America/Chicago")), known
    )
    assert moved.meetings[0].start.astimezone(UTC) == datetime(2011, 2, 26, 20, tzinfo=UTC)
    assert moved.meetings[0].title == "T – Worcester"


def test_known_meetings_never_hide_a_problem(meetings_file: WriteMeetings) -> None:
    known = LastReading()
    load_series(meetings_file(WORCESTER + "\n" + LOWELL), known)
    path = meetings_file(WORCESTER + "\n" + LOWELL.replace("lowell", "worcester"))
    with pytest.raises(DataError) as caught:
        load_series(path, known)
    assert [str(problem) for problem in caught.value.problems] == problems_of(path)
    assert any("duplicate meeting id" in str(p) for p in caught.value.problems)


def test_a_series_heading_is_everything_but_its_meetings() -> None:
    series = load_series(MEETINGS)
    others = [f.name for f in fields(series) if f.name != "meetings"]
    assert series.heading() == tuple(getattr(series, name) for name in others)
