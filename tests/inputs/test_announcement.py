"""Reading the seed announcement, and the variations announcements use."""

from __future__ import annotations

import tomllib
from datetime import date, time
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reminders.inputs.announcements import (
    Announcement,
    DraftMeeting,
    read_announcement,
    render_meetings_file,
)
from reminders.inputs.meetings_file import load_series, parse_series
from reminders.inputs.toml_lines import TomlDocument
from tests.conftest import SEED

# Every field of every meeting of the seed, as announced.
SEED_MEETINGS = [
    (
        "2011-02-26-worcester",
        "Worcester",
        date(2011, 2, 26),
        time(14),
        time(16),
        "Worcester Public Library",
        None,
        "3 Salem Square, Worcester",
    ),
    (
        "2011-03-12-framingham",
        "Framingham",
        date(2011, 3, 12),
        time(14),
        time(16),
        "Mass Bay Community College, Framingham Campus",
        "Room 205-206",
        None,
    ),
    (
        "2011-04-02-lawrence",
        "Lawrence",
        date(2011, 4, 2),
        time(15),
        time(17),
        "Lawrence High School",
        None,
        "70-71 North Parish Rd, Lawrence, MA 01841",
    ),
    ("2011-04-16-waltham", "Waltham", date(2011, 4, 16), time(12), time(14), None, None, None),
    ("2011-04-28-chelsea", "Chelsea", date(2011, 4, 28), time(18), time(20), None, None, None),
    ("2011-05-12-brockton", "Brockton", date(2011, 5, 12), time(12), time(14), None, None, None),
    ("2011-05-26-lowell", "Lowell", date(2011, 5, 26), time(18), time(20), None, None, None),
    (
        "2011-06-11-new-bedford",
        "New Bedford",
        date(2011, 6, 11),
        time(12),
        time(14),
        None,
        None,
        None,
    ),
    (
        "2011-06-30-springfield",
        "Springfield",
        date(2011, 6, 30),
        time(18),
        time(20),
        None,
        None,
        None,
    ),
    ("2011-07-09-boston", "Boston", date(2011, 7, 9), time(12), time(14), None, None, None),
]


def fields(meeting: DraftMeeting) -> tuple[object, ...]:
    return (
        meeting.id,
        meeting.city,
        meeting.date,
        meeting.start,
        meeting.end,
        meeting.venue,
        meeting.room,
        meeting.address,
    )


def test_seed_yields_every_field_of_every_meeting() -> None:
    result = read_announcement(SEED.read_text(encoding="utf-8"), SEED)
    assert result.problems == ()
    assert result.year == 2011
    assert [fields(m) for m in result.meetings] == SEED_MEETINGS


def test_new_info_marker_is_noted_not_kept_in_the_venue() -> None:
    result = read_announcement(SEED.read_text(encoding="utf-8"), SEED)
    assert [m.city for m in result.meetings if m.new_info] == ["Lawrence"]


def test_year_option_overrides_the_dateline() -> None:
    text = "1/10/2012 BOSTON -- meetings\n\nQuincy: Quincy Library, Tuesday, March 6, 6-8pm\n"
    assert read_announcement(text, "a.txt").meetings[0].date == date(2012, 3, 6)
    wrong_year = read_announcement(text, "a.txt", year=2013)
    assert wrong_year.meetings == ()
    # The weekday shows the year is wrong, and the message says so.
    assert "March 6, 2013 is a Wednesday" in wrong_year.problems[0].message


def test_line_that_looks_like_a_meeting_but_cannot_be_read_is_reported() -> None:
    text = (
        "3/1/2011 BOSTON -- meetings\n"
        "Quincy: Saturday, March 5, sometime in the afternoon\n"
        "Salem: Salem Library, Friday, March 4, 6-8pm\n"
        "Note: this is not a meeting line\n"
    )
    result = read_announcement(text, "a.txt")
    assert [m.city for m in result.meetings] == ["Salem"]
    assert [(p.line, p.message) for p in result.problems] == [
        (2, "cannot read meeting: no time range such as '2-4pm' or '6:30 p.m. - 8 p.m.'")
    ]


def test_meeting_without_any_year_is_reported() -> None:
    result = read_announcement("Quincy: Saturday, March 5, 2-4pm\n", "a.txt")
    assert result.meetings == ()
    assert "no year" in result.problems[0].message


def test_rendered_file_is_a_valid_meetings_file_with_the_same_meetings(tmp_path: Path) -> None:
    result = read_announcement(SEED.read_text(encoding="utf-8"), SEED)
    path = tmp_path / "meetings.toml"
    path.write_text(render_meetings_file(result, "America/New_York", "example.org", "seed"))
    series = load_series(path)
    assert [(m.id, m.venue, m.room, m.address) for m in series] == [
        (row[0], row[5], row[6], row[7]) for row in SEED_MEETINGS
    ]
    assert [(m.start.date(), m.start.time(), m.end.time()) for m in series] == [
        (row[2], row[3], row[4]) for row in SEED_MEETINGS
    ]


text_fields = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=30)


@given(venue=text_fields, address=text_fields, headline=text_fields)
def test_any_text_renders_to_toml_that_reads_back(venue: str, address: str, headline: str) -> None:
    meeting = DraftMeeting(
        id="2011-02-26-x",
        city="X",
        date=date(2011, 2, 26),
        start=time(14),
        end=time(16),
        venue=venue,
        room=None,
        address=address,
        lines=(1, 1),
    )
    text = render_meetings_file(
        Announcement(headline=headline, year=2011, meetings=(meeting,)),
        "America/New_York",
        "example.org",
        "x",
    )
    data = tomllib.loads(text)
    assert data["meeting"][0]["address"] == address
    series = parse_series(TomlDocument(path=Path("x"), data=data, text=text))
    assert series.meetings[0].id == "2011-02-26-x"


@given(st.text(max_size=300))
def test_importer_never_crashes_on_any_text(text: str) -> None:
    result = read_announcement(text, "a.txt")
    for problem in result.problems:
        assert problem.line is not None
        assert problem.line >= 1
