"""Each event serialized once and kept: a whole calendar's bytes, made again only on change."""

from __future__ import annotations

import gc
import shutil
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar, Event, vUri

import reminders
from reminders.cli import work
from reminders.daemon import Daemon
from reminders.inputs.meetings import Series
from reminders.inputs.meetings_file import load_series
from reminders.inputs.text import one_line
from reminders.publish.calendars import calendar_bytes
from reminders.publish.contentlines import serialized
from reminders.publish.feed import FeedOptions, Shown, _event_bytes
from reminders.publish.pages import ARTICLE
from reminders.publish.pieces import Held, Memo, Pieces, pieces_file
from reminders.publish.site import BuildResult
from reminders.revisions import Revision
from reminders.settings import load_settings
from reminders.store import open_state
from tests.conftest import MEETINGS, edit_meetings, run_cli, set_setting
from tests.support.folders import folder_bytes

NOW = datetime(2011, 2, 15, 12, tzinfo=UTC)
EVERY_LANGUAGE = (
    '[languages]\nallow_drafts = ["es", "pt-BR", "ht", "vi", "ar", "zh-Hans", "zh-Hant", "kea"]'
)


def build(workspace: Path, out: Path | None = None) -> BuildResult:
    return work.build(load_settings(workspace / "reminders.toml", workspace), NOW, out)


def test_every_feed_is_what_icalendar_makes_of_the_whole_calendar(workspace: Path) -> None:
    set_setting(workspace, EVERY_LANGUAGE)
    public = build(workspace).folder
    feeds = sorted(public.rglob("*.ics"))
    assert len(feeds) == 1 + 10 + 10 + 8  # the series, each meeting, each city, each language
    for feed in feeds:
        data = feed.read_bytes()
        assert bytes(Calendar.from_ical(data).to_ical()) == data, feed.name


# Around the 75-octet fold, in one, two, three and four-byte characters, with escapes.
LINE_TEXT = st.text(st.sampled_from('a ,;\\^\n\rN:"é€日😀'), max_size=160)


ZONES = st.sampled_from(["America/New_York", "America/Los_Angeles", "Europe/Lisbon", "UTC"])
# Wall-clock times, each given its zone in the test (gaps and folds included).
WALL_CLOCK = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2040, 1, 1),  # noqa: DTZ001
)


@given(
    summary=LINE_TEXT,
    location=LINE_TEXT,
    description=LINE_TEXT,
    organizer=LINE_TEXT,
    zone=ZONES,
    start=WALL_CLOCK,
    sequence=st.integers(0, 10_000),
)
def test_an_event_is_what_icalendar_makes_of_the_same_values(
    summary: str,
    location: str,
    description: str,
    organizer: str,
    zone: str,
    start: datetime,
    sequence: int,
) -> None:
    series = load_series(MEETINGS)
    series = replace(series, organizer_name=organizer.replace("\n", " "))
    begins = start.replace(tzinfo=ZoneInfo(zone))
    meeting = replace(series.meetings[0], start=begins, end=begins + timedelta(hours=2))
    view = Shown(
        summary=summary,
        location=location,
        description=description,
        url=f"https://example.org/meetings/#{meeting.id}",
        status="TENTATIVE",
        start="",
        end="",
        zone=zone,
    )
    revision = Revision(
        meeting_id=meeting.id,
        fingerprint="",
        sequence=sequence,
        modified=NOW + timedelta(minutes=sequence),
    )
    event = Event()
    event.add("uid", f"{meeting.id}@{series.domain}")
    event.add("dtstamp", revision.modified)
    event.add("last-modified", revision.modified)
    event.add("sequence", sequence)
    event.add("dtstart", meeting.start)
    event.add("dtend", meeting.end)
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("url", vUri(view.url), parameters={"VALUE": "URI"})
    event.add("organizer", f"mailto:{series.organizer_email}", {"CN": series.organizer_name})
    event.add("status", "TENTATIVE")
    event.add("transp", "OPAQUE")
    assert _event_bytes(meeting, view, revision, series) == event.to_ical()


@given(summary=LINE_TEXT, location=LINE_TEXT, name=LINE_TEXT)
def test_serializing_skips_only_the_folds_icalendar_would_not_make(
    summary: str, location: str, name: str
) -> None:
    event = Event()
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", name)
    event.add("organizer", "mailto:x@example.org", parameters={"CN": name.replace("\n", " ")})
    calendar = Calendar()
    calendar.add_component(event)
    assert serialized(calendar) == calendar.to_ical()


@given(name=LINE_TEXT, source=st.text(st.sampled_from("a/é:%~"), max_size=100))
def test_each_file_s_own_name_and_source_sit_in_the_header_icalendar_would_write(
    name: str, source: str
) -> None:
    series = load_series(MEETINGS)
    options = FeedOptions(base_url="https://example.org/meetings/")
    url = f"https://example.org/{source}"
    data = calendar_bytes(series, [], {}, options, name=name, source=url)
    calendar = Calendar.from_ical(data)
    assert calendar["NAME"] == calendar["X-WR-CALNAME"] == one_line(name)
    assert calendar["SOURCE"] == url
    assert calendar["DESCRIPTION"] == series.description
    assert bytes(calendar.to_ical()) == data
    whole = Calendar()  # as icalendar would write the header it reads
    for key, value in calendar.property_items(recursive=False)[1:-1]:
        whole.add(key, value)
    for component in calendar.subcomponents:  # the zone's VTIMEZONE
        whole.add_component(component)
    assert whole.to_ical() == data


def test_a_rebuild_serializes_only_what_an_edit_changed(workspace: Path) -> None:
    first = build(workspace)
    assert first.serialized == 10  # each meeting once, though each is in three files
    assert build(workspace).serialized == 0
    edit_meetings(workspace, 'start = "14:00"\nend = "16:00"', 'start = "15:00"\nend = "17:00"')
    again = build(workspace)
    assert again.serialized == 1
    assert again.written == (
        "cities/worcester.ics",
        "index.html",
        "meetings.ics",
        "meetings/2011-02-26-worcester.ics",
    )
    cold = build(workspace, workspace / "cold")  # another folder keeps pieces of its own
    assert cold.serialized == 10
    assert folder_bytes(workspace / "cold") == folder_bytes(again.folder)


@pytest.mark.parametrize(
    "kept", [b"", b"{not json", b'{"format": "0/old", "events": {}}', b'{"format": 3}']
)
def test_kept_pieces_that_cannot_be_trusted_mean_a_cold_build(workspace: Path, kept: bytes) -> None:
    reference = folder_bytes(build(workspace).folder)
    path = pieces_file(workspace / "public")
    path.write_bytes(kept)
    shutil.rmtree(workspace / "public")
    result = build(workspace)
    assert result.serialized == 10
    assert folder_bytes(result.folder) == reference


def test_a_changed_translation_is_a_changed_piece(workspace: Path) -> None:
    set_setting(workspace, '[languages]\nallow_drafts = ["es"]')
    assert build(workspace).serialized == 20
    catalog = workspace / "locale" / "es" / "LC_MESSAGES"
    catalog.mkdir(parents=True)
    catalog.joinpath("messages.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Details and updates: %(url)s"\nmsgstr "Todo sobre la reunión: %(url)s"\n\n'
        'msgid "Add to Google Calendar"\nmsgstr "A Google Calendar"\n',
        encoding="utf-8",
    )
    settings = (workspace / "reminders.toml").read_text()
    (workspace / "reminders.toml").write_text('locale = "locale"\n' + settings)
    result = build(workspace)
    assert result.serialized == 10  # the Spanish events, not the English ones
    assert "Todo sobre la reuni" in (result.folder / "meetings.es.ics").read_text()
    assert (result.folder / "index.es.html").read_text().count(">A Google Calendar<") == 10


def test_pieces_kept_by_other_code_are_not_used(workspace: Path) -> None:
    reference = folder_bytes(build(workspace).folder)
    with closing(sqlite3.connect(pieces_file(workspace / "public"))) as kept, kept:
        kept.execute("UPDATE made SET code = ?", ("0" * 64,))  # another version of the package
        kept.execute("UPDATE piece SET data = ?", (b"stale",))
    shutil.rmtree(workspace / "public")
    result = build(workspace)
    assert result.serialized == 10
    assert folder_bytes(result.folder) == reference


def test_pieces_updated_by_an_edit_are_what_a_cold_build_keeps(workspace: Path) -> None:
    build(workspace)
    path = pieces_file(workspace / "public")
    edit_meetings(workspace, 'start = "14:00"\nend = "16:00"', 'start = "15:00"\nend = "17:00"')
    build(workspace)
    build(workspace, workspace / "cold")
    assert Pieces.load(path).kept == Pieces.load(pieces_file(workspace / "cold")).kept


def test_the_kept_file_holds_what_the_last_build_used_whoever_built_before(
    tmp_path: Path,
) -> None:
    path = tmp_path / "public.pieces"
    daemon = Pieces()
    daemon.get("meeting 1", lambda: b"1")
    daemon.save(path)
    other = Pieces.load(path)  # another builder of the same folder, between two of its builds
    other.get("meeting 1", lambda: b"1")
    other.get("meeting 2", lambda: b"2")
    other.save(path)
    daemon.get("meeting 3", lambda: b"3")
    daemon.save(path)
    assert Pieces.load(path).kept == {"meeting 3": b"3"}


def test_an_edited_article_template_shows_on_the_next_build(workspace: Path) -> None:
    build(workspace)
    bundled = Path(reminders.__file__).parent / "templates" / "web" / ARTICLE
    mine = workspace / "mytemplates" / "web" / ARTICLE
    mine.parent.mkdir(parents=True)
    mine.write_text(bundled.read_text().replace('<p class="title">', '<p class="title big">'))
    settings = (workspace / "reminders.toml").read_text()
    (workspace / "reminders.toml").write_text('templates = "mytemplates"\n' + settings)
    again = build(workspace)
    assert (again.folder / "index.html").read_text().count('<p class="title big">') == 10
    build(workspace, workspace / "cold")
    assert folder_bytes(workspace / "cold") == folder_bytes(again.folder)


def test_a_public_file_that_cannot_be_written_is_a_message(workspace: Path) -> None:
    (workspace / "public").mkdir()
    (workspace / "public" / "cities").write_text("in the way of the city feeds' folder")
    result = run_cli("build", "--now", "2011-02-15T12:00-05:00", cwd=workspace)
    assert result.returncode == 1
    assert "public/cities: cannot write: File exists" in result.stderr
    assert "Traceback" not in result.stderr


def test_pieces_that_cannot_be_kept_do_not_stop_the_build(workspace: Path) -> None:
    pieces_file(workspace / "public").mkdir()  # in the way of the pieces' database
    result = run_cli("build", "--now", "2011-02-15T12:00-05:00", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "cannot keep the build's pieces" in result.stderr
    assert folder_bytes(workspace / "public") == folder_bytes(
        build(workspace, workspace / "b").folder
    )


def test_a_second_process_reuses_what_the_first_kept(workspace: Path) -> None:
    set_setting(workspace, '[languages]\nallow_drafts = ["es"]')
    build_now = ("build", "--now", "2011-02-15T12:00-05:00")
    first = run_cli(*build_now, cwd=workspace, PYTHONHASHSEED="1")
    assert first.returncode == 0, first.stderr
    assert "20 serialized" in first.stdout
    kept = Pieces.load(pieces_file(workspace / "public")).kept
    (workspace / "public" / "index.es.html").unlink()
    second = run_cli(*build_now, cwd=workspace, PYTHONHASHSEED="2")  # other str hashes
    assert second.returncode == 0, second.stderr
    assert "1 written" in second.stdout
    assert "0 serialized" in second.stdout
    assert Pieces.load(pieces_file(workspace / "public")).kept == kept  # articles too


WORCESTER = """[[meeting]]
id = "2011-02-26-worcester"
city = "Worcester"
date = 2011-02-26
start = "14:00"
end = "16:00"
venue = "Worcester Public Library"
address = "3 Salem Square, Worcester"

"""
FRAMINGHAM = """[[meeting]]
id = "2011-03-12-framingham"
city = "Framingham"
date = 2011-03-12
start = "14:00"
end = "16:00"
venue = "Mass Bay Community College, Framingham Campus"
room = "Room 205-206"

"""
# Each edit changes something a feed, a meeting's own file or an article is made of. (A
# meeting removed alone would leave subscribers of its city: see the test after.)
EDITS = {
    "a meeting's time": ('start = "14:00"\nend = "16:00"', 'start = "15:00"\nend = "17:00"'),
    "a venue": ('venue = "Worcester Public Library"', 'venue = "Worcester City Hall"'),
    "a cancellation": ('venue = "Worcester Public Library"', 'status = "cancelled"\nvenue = "x"'),
    "the calendar's name": ("Community meetings on Secure Communities", "Town hall meetings"),
    "its description": ("Open to the public.", "Open to all."),
    "its domain": ('domain = "example.org"', 'domain = "example.net"'),
    "its organizer": ("Community Meetings Coalition <", "The Coalition <"),
    "its time zone": ('timezone = "America/New_York"', 'timezone = "America/Chicago"'),
    "a meeting's year": ("date = 2011-02-26", "date = 2012-02-26"),
    "a meeting's own zone": (
        'id = "2011-02-26-worcester"',
        'id = "2011-02-26-worcester"\ntimezone = "Europe/Lisbon"',
    ),
    "a meeting added": (WORCESTER, WORCESTER + WORCESTER.replace("2011-02-26", "2013-02-26")),
    "two meetings' order": (WORCESTER + FRAMINGHAM, FRAMINGHAM + WORCESTER),
}


@pytest.mark.parametrize(("old", "new"), EDITS.values(), ids=EDITS)
def test_a_daemon_s_rebuild_after_an_edit_is_what_a_cold_build_makes(
    workspace: Path, old: str, new: str
) -> None:
    set_setting(workspace, EVERY_LANGUAGE)
    daemon = Daemon(load_settings(workspace / "reminders.toml", workspace))
    daemon.tick(NOW)
    edit_meetings(workspace, old, new)
    daemon.tick(NOW)
    build(workspace, workspace / "cold")  # with the revisions the daemon stored
    assert folder_bytes(workspace / "public") == folder_bytes(workspace / "cold")


def test_a_daemon_s_rebuilds_after_edit_upon_edit_are_what_cold_builds_make(
    workspace: Path,
) -> None:
    daemon = Daemon(load_settings(workspace / "reminders.toml", workspace))
    daemon.tick(NOW)
    later = WORCESTER.replace("2011-02-26", "2013-02-26")
    edits = ["a meeting added", "a meeting's own zone", "a venue", "a meeting's time"]
    for old, new in [*(EDITS[edit] for edit in edits), (later, "")]:
        edit_meetings(workspace, old, new)
        daemon.tick(NOW)
        build(workspace, workspace / "cold")
        assert folder_bytes(workspace / "public") == folder_bytes(workspace / "cold"), new


def test_a_daemon_writes_back_public_files_changed_by_hand_at_its_next_tick(
    workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = Daemon(load_settings(workspace / "reminders.toml", workspace))
    daemon.tick(NOW)
    built = folder_bytes(workspace / "public")
    with (workspace / "public" / "index.html").open("ab") as page:
        page.write(b"<script>tracker()</script>")
    next(iter((workspace / "public" / "meetings").iterdir())).unlink()
    daemon.tick(NOW)
    assert folder_bytes(workspace / "public") == built
    assert "public folder: 2 files changed outside the daemon" in caplog.text
    daemon.tick(NOW)
    assert caplog.text.count("changed outside the daemon") == 1


def test_a_daemon_that_cannot_build_at_once_puts_a_changed_file_back_at_a_later_tick(
    workspace: Path,
) -> None:
    settings = load_settings(workspace / "reminders.toml", workspace)
    daemon = Daemon(settings)
    daemon.tick(NOW)
    built = folder_bytes(workspace / "public")
    (workspace / "public" / "index.html").write_text("defaced")
    with open_state(settings.state) as db:  # another process is building the folder
        db.execute("INSERT INTO lease (name, holder, until) VALUES ('publish', 'other:1', '9999')")
    daemon.tick(NOW)
    assert (workspace / "public" / "index.html").read_text() == "defaced"
    with open_state(settings.state) as db:
        db.execute("DELETE FROM lease")
    daemon.tick(NOW)
    assert folder_bytes(workspace / "public") == built


def test_a_daemon_writes_its_pieces_on_the_next_tick_that_builds_nothing(workspace: Path) -> None:
    daemon = Daemon(load_settings(workspace / "reminders.toml", workspace))
    path = pieces_file(workspace / "public")
    daemon.tick(NOW)
    assert not path.exists()  # the first build published, and left its pieces for later
    daemon.tick(NOW)
    first = Pieces.load(path).kept
    assert first
    edit_meetings(workspace, *EDITS["a venue"])
    daemon.tick(NOW)
    assert Pieces.load(path).kept == first
    daemon.tick(NOW)
    build(workspace, workspace / "cold")
    assert Pieces.load(path).kept == Pieces.load(pieces_file(workspace / "cold")).kept


def test_a_daemon_keeps_no_earlier_reading_alive_however_often_the_file_is_edited(
    workspace: Path,
) -> None:
    # Earlier tests' series are held here, so that no new one can take an id of theirs.
    before = [thing for thing in gc.get_objects() if isinstance(thing, Series)]
    daemon = Daemon(load_settings(workspace / "reminders.toml", workspace))
    daemon.tick(NOW)
    for city in ("Worcester", "Framingham", "Lawrence", "Waltham"):
        edit_meetings(workspace, f'city = "{city}"\n', f'city = "{city}"\nnotes = "Edited"\n')
        daemon.tick(NOW)
    gc.collect()
    earlier = {id(series) for series in before}
    alive = [t for t in gc.get_objects() if isinstance(t, Series) and id(t) not in earlier]
    assert daemon.inputs is not None
    assert len(alive) == 1
    assert alive[0] is daemon.inputs.series


def test_the_memo_gives_a_value_again_only_for_an_equal_basis() -> None:
    memo: Memo[str] = Memo()
    made: list[str] = []

    def make(value: str) -> str:
        made.append(value)
        return value

    assert memo.get("m1", ("a",), lambda: make("first")) == "first"
    assert memo.get("m1", ("a",), lambda: make("again")) == "first"
    memo.end()
    assert memo.get("m1", ("a",), lambda: make("again")) == "first"  # kept by the last build
    assert memo.get("m1", ("b",), lambda: make("changed")) == "changed"
    memo.end()
    memo.end()  # a build that did not use it
    assert memo.get("m1", ("b",), lambda: make("forgotten")) == "forgotten"
    assert made == ["first", "changed", "forgotten"]


def test_the_memo_remakes_a_value_from_the_one_it_held() -> None:
    memo: Memo[str] = Memo()
    assert memo.remake("m1", ("a",), lambda before: f"{before} -> a") == "None -> a"
    assert memo.remake("m1", ("a",), lambda before: "not made") == "None -> a"
    memo.end()
    assert memo.remake("m1", ("b",), lambda before: f"{before} -> b") == "None -> a -> b"
    memo.end()
    memo.end()  # a build that did not use it
    assert memo.remake("m1", ("c",), lambda before: f"{before} -> c") == "None -> c"


def test_a_held_value_is_given_again_for_the_same_object_an_equal_extra_and_shared() -> None:
    held: Held[str] = Held()
    one, other = Series.__new__(Series), Series.__new__(Series)  # any objects, told apart
    held.begin("shared")
    assert held.get(one, 1, str.upper, "made") == "MADE"
    assert held.get(one, 1, str.upper, "again") == "MADE"
    assert held.get(other, 1, str.upper, "other") == "OTHER"  # another object
    held.end()
    held.begin("shared")
    assert held.get(one, 1, str.upper, "again") == "MADE"  # kept by the last build
    assert held.get(one, 2, str.upper, "extra") == "EXTRA"
    held.end()
    held.begin("changed")
    assert held.get(one, 2, str.upper, "shared") == "SHARED"
    held.end()
    held.begin("changed")
    held.end()  # a build that did not use it
    assert held.get(one, 2, str.upper, "forgotten") == "FORGOTTEN"
