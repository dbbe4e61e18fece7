"""Publishing the public folder: only changed files written, files no longer built removed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from reminders.cli import work
from reminders.publish.site import BuildResult
from reminders.settings import load_settings
from tests.support.folders import folder_bytes

NOW = datetime(2011, 2, 15, 12, tzinfo=UTC)


def build(workspace: Path, out: Path | None = None) -> BuildResult:
    return work.build(load_settings(workspace / "reminders.toml", workspace), NOW, out)


def test_files_changed_by_hand_are_written_again_and_no_others(workspace: Path) -> None:
    public = build(workspace).folder
    feed = public / "meetings" / "2011-02-26-worcester.ics"
    feed.write_bytes(feed.read_bytes() + b"\r\n")  # longer
    city = public / "cities" / "lowell.ics"
    city.write_bytes(city.read_bytes()[:100])  # torn
    page = public / "index.html"
    page.write_bytes(page.read_bytes().replace(b"Meetings", b"Meeting!"))  # same length
    (public / "meetings.ics").unlink()
    result = build(workspace)
    assert sorted(result.written) == [
        "cities/lowell.ics",
        "index.html",
        "meetings.ics",
        "meetings/2011-02-26-worcester.ics",
    ]
    assert folder_bytes(public) == folder_bytes(build(workspace, workspace / "fresh").folder)


def test_files_the_build_owns_but_no_longer_makes_are_removed(workspace: Path) -> None:
    public = build(workspace).folder
    for name in ("meetings/2010-01-01-gone.ics", "cities/.hidden.ics", "index.xx.html"):
        (public / name).write_text("left from an earlier series")
    (public / "robots.txt").write_text("User-agent: *\n")  # not the build's
    result = build(workspace)
    assert sorted(result.removed) == [
        "cities/.hidden.ics",
        "index.xx.html",
        "meetings/2010-01-01-gone.ics",
    ]
    assert result.written == ()
    assert (public / "robots.txt").read_text() == "User-agent: *\n"
