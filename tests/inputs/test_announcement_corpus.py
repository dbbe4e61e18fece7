"""The importer against a corpus of real-shaped announcements, each with what a reader takes.

Every layout and language the importer reads is here: the 2011 seed, the
three shared examples, and announcements written for this corpus after
real public notices (press releases, flyers, newsletters, a pasted
spreadsheet, a CSV export, a calendar export, sentences). A meeting whose
place is unknown must come out TBD, always; the rest must be right, or be
reported, or be marked ``# check:`` for the organizer.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reminders.inputs.announcements import (
    DraftMeeting,
    read_announcement,
    read_calendar_file,
    render_meetings_file,
)
from reminders.inputs.meetings_file import parse_series
from reminders.inputs.toml_lines import TomlDocument

CORPUS = Path(__file__).parent / "announcements"
SOURCES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".txt", ".csv", ".ics"))


@dataclass
class Outcome:
    expected: int = 0
    right: int = 0
    flagged: int = 0  # wrong, but marked to check or reported
    silently_wrong: int = 0
    invented_venues: int = 0


def imported(source: Path) -> tuple[list[DraftMeeting], bool, str]:
    """The draft meetings of one source, whether problems were reported, and its file."""
    text = source.read_text(encoding="utf-8")
    expected = json.loads(source.with_suffix(".expected.json").read_text(encoding="utf-8"))
    zone = expected["timezone"]
    if source.suffix == ".ics":
        result, found_zone = read_calendar_file(text, source)
        zone = found_zone or zone
    else:
        result = read_announcement(text, source, spreadsheet=source.suffix == ".csv")
    rendered = render_meetings_file(result, zone, "example.org", source.name)
    return list(result.meetings), bool(result.problems), rendered


def right(meeting: DraftMeeting, want: dict[str, Any]) -> bool:
    basics = (
        meeting.city == want["city"]
        and meeting.date.isoformat() == want["date"]
        and f"{meeting.start:%H:%M}" == want["start"]
        and f"{meeting.end:%H:%M}" == want["end"]
    )
    if "venue" in want and want["venue"] is None:
        return basics and meeting.venue is None
    address = want.get("address_contains")
    return (
        basics
        and meeting.venue is not None
        and want["venue_contains"] in meeting.venue
        and (address is None or address in (meeting.address or ""))
    )


def score(source: Path) -> Outcome:
    outcome = Outcome()
    meetings, reported, _ = imported(source)
    wants = json.loads(source.with_suffix(".expected.json").read_text(encoding="utf-8"))
    for want in wants["meetings"]:
        outcome.expected += 1
        match = next((m for m in meetings if m.city == want["city"]), None)
        if match is not None and want.get("venue", "") is None and match.venue is not None:
            outcome.invented_venues += 1
        if match is not None and right(match, want):
            outcome.right += 1
        elif reported or (match is not None and match.unsure):
            outcome.flagged += 1
        else:
            outcome.silently_wrong += 1
    return outcome


def test_the_corpus_has_every_layout_and_language() -> None:
    assert len(SOURCES) >= 16
    assert {p.suffix for p in SOURCES} == {".txt", ".csv", ".ics"}
    for source in SOURCES:
        assert source.with_suffix(".expected.json").is_file(), source


def test_the_importer_scores_over_the_whole_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    total = Outcome()
    lines = []
    for source in SOURCES:
        outcome = score(source)
        lines.append(f"{source.name:42} {outcome.right}/{outcome.expected} right")
        for name in ("expected", "right", "flagged", "silently_wrong", "invented_venues"):
            setattr(total, name, getattr(total, name) + getattr(outcome, name))
    share = total.right / total.expected
    with capsys.disabled():
        print("\n" + "\n".join(lines))
        print(
            f"importer score: {total.right}/{total.expected} meetings right ({share:.0%}), "
            f"{total.flagged} flagged, {total.silently_wrong} silently wrong"
        )
    assert total.invented_venues == 0  # never a venue where the place is unknown
    assert total.silently_wrong == 0
    assert share >= 0.95


@pytest.mark.parametrize("source", SOURCES, ids=[p.name for p in SOURCES])
def test_each_import_is_a_meetings_file_check_accepts(source: Path) -> None:
    meetings, _, rendered = imported(source)
    doc = TomlDocument(path=source, data=tomllib.loads(rendered), text=rendered)
    series = parse_series(doc)
    assert len(series) == len(meetings)
    for meeting, draft in zip(series, meetings, strict=True):
        assert meeting.venue_tbd == (draft.venue is None)
        first, last = draft.lines
        assert (
            f"# From line {first}" if first == last else f"# From lines {first}-{last}"
        ) in rendered


def test_the_tools_own_feed_imports_back_as_the_same_meetings(workspace: Path) -> None:
    from datetime import datetime

    from reminders.cli import work
    from reminders.inputs.meetings_file import load_series
    from tests.conftest import NEW_YORK, edit_meetings, run_cli
    from tests.support.runs import settings_of

    edit_meetings(
        workspace,
        'venue = "Lawrence High School"',
        'venue = "Lawrence High School"\nroom = "Room 12"',
    )
    work.build(settings_of(workspace), datetime(2011, 2, 15, tzinfo=NEW_YORK))
    out = workspace / "imported.toml"
    result = run_cli("import", str(workspace / "public" / "meetings.ics"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert run_cli("check", "--meetings", str(out)).returncode == 0
    original = load_series(workspace / "data" / "meetings.toml")
    again = load_series(out)
    assert again.name == original.name
    assert [(m.id, m.start, m.end, m.venue, m.room, m.address, m.venue_tbd) for m in again] == [
        (m.id, m.start, m.end, m.venue, m.room, m.address, m.venue_tbd) for m in original
    ]


@pytest.mark.parametrize(
    "name", ["blocks-2013-town-halls.txt", "bullets-es-2014-foros.txt", "table-2015-clinics.txt"]
)
def test_import_writes_a_file_check_accepts_for_each_shared_example(
    name: str, tmp_path: Path
) -> None:
    from tests.conftest import run_cli

    out = tmp_path / "meetings.toml"
    result = run_cli("import", str(CORPUS / name), "--out", str(out))
    assert result.returncode == 0, result.stderr
    checked = run_cli("check", "--meetings", str(out))
    assert checked.returncode == 0, checked.stderr
    wants = json.loads((CORPUS / name).with_suffix(".expected.json").read_text())["meetings"]
    assert f"{len(wants)} meetings" in checked.stdout


def test_partial_writes_what_could_be_read_and_names_the_rest(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    source = tmp_path / "mixed.txt"
    source.write_text(
        "Forums\nMarch 1, 2011\n\nSalem: Friday, March 4, 6-8pm, Salem Library\n"
        "Quincy: Saturday, March 5, sometime in the afternoon\n"
    )
    whole = run_cli("import", str(source))
    assert whole.returncode == 1
    assert "mixed.txt:5: cannot read meeting" in whole.stderr
    assert whole.stdout == ""
    partial = run_cli("import", str(source), "--partial")
    assert partial.returncode == 0, partial.stderr
    assert 'city = "Salem"' in partial.stdout
    assert "Quincy" not in partial.stdout
    assert "mixed.txt:5: cannot read meeting" in partial.stderr


def test_without_a_headline_the_name_is_a_placeholder_to_edit(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    source = tmp_path / "bare.txt"
    source.write_text("Salem: Friday, March 4, 2011, 6-8pm, Salem Library\n")
    result = run_cli("import", str(source))
    assert result.returncode == 0, result.stderr
    assert 'name = "Meetings (edit this name)"' in result.stdout
    assert "# check: the announcement has no headline" in result.stdout
    named = run_cli("import", str(source), "--name", "Salem forums")
    assert 'name = "Salem forums"' in named.stdout
