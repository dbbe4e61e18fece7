"""The feed: valid for independent parsers, right instants, stable bytes, in-place updates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from reminders.cli import work
from reminders.settings import load_settings
from tests.conftest import edit_meetings
from tests.support.folders import folder_bytes

EXPECTED_UTC = {
    "2011-02-26-worcester": ("2011-02-26T19:00", "2011-02-26T21:00"),
    "2011-03-12-framingham": ("2011-03-12T19:00", "2011-03-12T21:00"),
    "2011-04-02-lawrence": ("2011-04-02T19:00", "2011-04-02T21:00"),
    "2011-04-16-waltham": ("2011-04-16T16:00", "2011-04-16T18:00"),
    "2011-04-28-chelsea": ("2011-04-28T22:00", "2011-04-29T00:00"),
    "2011-05-12-brockton": ("2011-05-12T16:00", "2011-05-12T18:00"),
    "2011-05-26-lowell": ("2011-05-26T22:00", "2011-05-27T00:00"),
    "2011-06-11-new-bedford": ("2011-06-11T16:00", "2011-06-11T18:00"),
    "2011-06-30-springfield": ("2011-06-30T22:00", "2011-07-01T00:00"),
    "2011-07-09-boston": ("2011-07-09T16:00", "2011-07-09T18:00"),
}
FIRST_BUILD = datetime(2011, 2, 15, 12, tzinfo=UTC)


def run_build(workspace: Path, now: datetime = FIRST_BUILD) -> Path:
    settings = load_settings(workspace / "reminders.toml", workspace)
    work.build(settings, now)
    return settings.public


def ics_files(public: Path) -> list[Path]:
    return [
        public / "meetings.ics",
        *sorted(public.glob("meetings/*.ics")),
        *sorted(public.glob("cities/*.ics")),
    ]


def utc(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%dT%H:%M}"


def events(path: Path) -> dict[str, object]:
    cal = Calendar.from_ical(path.read_bytes())
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_strict_ical_parser_reads_every_file_with_the_right_instants(workspace: Path) -> None:
    public = run_build(workspace)
    seen = set()
    for path in ics_files(public):
        calendar = IcsCalendarStream.calendar_from_ics(path.read_text(encoding="utf-8"))
        for event in calendar.events:
            meeting_id = event.uid.removesuffix("@example.org")
            assert isinstance(event.dtstart, datetime)
            assert isinstance(event.dtend, datetime)
            assert (utc(event.dtstart), utc(event.dtend)) == EXPECTED_UTC[meeting_id]
            seen.add(meeting_id)
    assert seen == set(EXPECTED_UTC)


def test_vobject_with_validation_reads_every_file_using_our_vtimezone(workspace: Path) -> None:
    public = run_build(workspace)
    for path in ics_files(public):
        parsed = vobject.readOne(path.read_text(encoding="utf-8"), validate=True)
        for event in parsed.vevent_list:
            # vobject builds its zone from our VTIMEZONE text, not from zoneinfo.
            assert type(event.dtstart.value.tzinfo).__name__ == "_tzicalvtz"
            meeting_id = event.uid.value.removesuffix("@example.org")
            assert (utc(event.dtstart.value), utc(event.dtend.value)) == EXPECTED_UTC[meeting_id]


def test_calendar_carries_what_subscribers_apps_need(workspace: Path) -> None:
    public = run_build(workspace)
    cal = Calendar.from_ical((public / "meetings.ics").read_bytes())
    assert cal["METHOD"] == "PUBLISH"
    assert cal["VERSION"] == "2.0"
    assert cal["CALSCALE"] == "GREGORIAN"
    assert cal["X-WR-CALNAME"] == cal["NAME"] == "Community meetings on Secure Communities"
    assert cal["X-WR-TIMEZONE"] == "America/New_York"
    assert "Secure" in str(cal["X-WR-CALDESC"])
    assert cal["SOURCE"] == "https://example.org/meetings/meetings.ics"
    text = (public / "meetings.ics").read_bytes().decode("utf-8")
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in text
    assert "X-PUBLISHED-TTL:PT6H\r\n" in text
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]
    assert "UID" not in cal  # no random calendar UID that changes per build


def test_each_event_has_stable_uid_organizer_and_no_attendee(workspace: Path) -> None:
    public = run_build(workspace)
    for uid, event in events(public / "meetings.ics").items():
        meeting_id = uid.removesuffix("@example.org")
        assert meeting_id in EXPECTED_UTC
        assert str(event["ORGANIZER"]) == "mailto:meetings@example.org"  # type: ignore[index]
        assert "ATTENDEE" not in event  # type: ignore[operator]
        assert event["TRANSP"] == "OPAQUE"  # type: ignore[index]
        assert event["URL"] == f"https://example.org/meetings/#{meeting_id}"  # type: ignore[index]
        assert event["DTSTART"].params["TZID"] == "America/New_York"  # type: ignore[index]


def test_tbd_meeting_is_tentative_with_location_to_be_announced(workspace: Path) -> None:
    public = run_build(workspace)
    waltham = events(public / "meetings.ics")["2011-04-16-waltham@example.org"]
    assert waltham["STATUS"] == "TENTATIVE"  # type: ignore[index]
    assert waltham["LOCATION"] == "Location to be announced"  # type: ignore[index]
    worcester = events(public / "meetings.ics")["2011-02-26-worcester@example.org"]
    assert worcester["STATUS"] == "CONFIRMED"  # type: ignore[index]
    assert worcester["LOCATION"] == "Worcester Public Library, 3 Salem Square, Worcester"  # type: ignore[index]


def test_lines_are_crlf_and_folded_within_75_octets_without_splitting_utf8(
    workspace: Path,
) -> None:
    edit_meetings(
        workspace,
        'venue = "Worcester Public Library"',
        'venue = "Biblioteca Pública de Worcester 😀 ' + "é" * 80 + '"',
    )
    public = run_build(workspace)
    for path in ics_files(public):
        data = path.read_bytes()
        assert data.endswith(b"\r\n")
        for line in data.split(b"\r\n")[:-1]:
            assert len(line) <= 75
            line.decode("utf-8")  # a split character would fail here
        assert b"\n" not in data.replace(b"\r\n", b"")


def test_building_twice_gives_byte_identical_files(workspace: Path) -> None:
    public = run_build(workspace)
    first = folder_bytes(public)
    run_build(workspace, now=datetime(2011, 2, 20, tzinfo=UTC))
    assert folder_bytes(public) == first
    # Later, the landing page moves a meeting that is over; the feeds stay as they were.
    run_build(workspace, now=datetime(2011, 3, 1, tzinfo=UTC))
    feeds = {p: data for p, data in folder_bytes(public).items() if p.endswith(".ics")}
    assert feeds == {p: data for p, data in first.items() if p.endswith(".ics")}
    page = (public / "index.html").read_text(encoding="utf-8")
    ahead, _, past = page.partition('<h2 id="past">Past meetings</h2>')
    assert 'id="2011-02-26-worcester"' in past
    assert 'id="2011-02-26-worcester"' not in ahead
    assert "Add to Google Calendar" not in past
    assert 'id="2011-03-12-framingham"' in ahead


def test_changing_a_venue_changes_only_that_event_with_sequence_one_higher(
    workspace: Path,
) -> None:
    public = run_build(workspace)
    before = events(public / "meetings.ics")
    edit_meetings(workspace, 'venue = "Worcester Public Library"', 'venue = "Worcester City Hall"')
    later = datetime(2011, 2, 20, 15, 30, tzinfo=UTC)
    run_build(workspace, now=later)
    after = events(public / "meetings.ics")
    changed = [uid for uid in after if after[uid].to_ical() != before[uid].to_ical()]  # type: ignore[attr-defined]
    assert changed == ["2011-02-26-worcester@example.org"]
    event = after["2011-02-26-worcester@example.org"]
    assert event["SEQUENCE"] == 1  # type: ignore[index]
    assert event["LAST-MODIFIED"].dt == later  # type: ignore[index]
    assert event["DTSTAMP"].dt == later  # type: ignore[index]
    assert event["LOCATION"].startswith("Worcester City Hall")  # type: ignore[index]
    single = events(public / "meetings" / "2011-02-26-worcester.ics")
    assert single["2011-02-26-worcester@example.org"]["SEQUENCE"] == 1  # type: ignore[index]


def test_cancelled_meeting_stays_in_the_feed_as_cancelled(workspace: Path) -> None:
    run_build(workspace)
    edit_meetings(
        workspace,
        'id = "2011-03-12-framingham"',
        'id = "2011-03-12-framingham"\nstatus = "cancelled"',
    )
    public = run_build(workspace, now=datetime(2011, 3, 1, tzinfo=UTC))
    event = events(public / "meetings.ics")["2011-03-12-framingham@example.org"]
    assert event["STATUS"] == "CANCELLED"  # type: ignore[index]
    assert str(event["SUMMARY"]).startswith("Cancelled: ")  # type: ignore[index]
    assert event["SEQUENCE"] == 1  # type: ignore[index]


def test_removed_meeting_disappears_with_its_files(workspace: Path) -> None:
    run_build(workspace)
    path = workspace / "data" / "meetings.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index('[[meeting]]\nid = "2011-07-09-boston"')
    path.write_text(text[:start], encoding="utf-8")
    public = run_build(workspace)
    assert "2011-07-09-boston@example.org" not in events(public / "meetings.ics")
    assert not (public / "meetings" / "2011-07-09-boston.ics").exists()
    assert not (public / "cities" / "boston.ics").exists()


def test_city_feed_holds_that_citys_events_with_the_same_uids(workspace: Path) -> None:
    public = run_build(workspace)
    assert list(events(public / "cities" / "new-bedford.ics")) == [
        "2011-06-11-new-bedford@example.org"
    ]
    whole = events(public / "meetings.ics")["2011-06-11-new-bedford@example.org"]
    city = events(public / "cities" / "new-bedford.ics")["2011-06-11-new-bedford@example.org"]
    assert city.to_ical() == whole.to_ical()  # type: ignore[attr-defined]


@pytest.mark.parametrize("now", [datetime(2011, 2, 15, tzinfo=UTC)])
def test_build_command_prints_where_the_files_are(workspace: Path, now: datetime) -> None:
    from tests.conftest import run_cli

    result = run_cli("build", "--now", now.isoformat(), cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert str(workspace / "public") in result.stdout
    assert (workspace / "public" / "meetings.ics").is_file()
