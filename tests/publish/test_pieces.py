"""Each event serialized once and kept: a whole calendar's bytes, made again only on change."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar import Calendar

from reminders.cli import work
from reminders.publish.pieces import pieces_file
from reminders.publish.site import BuildResult
from reminders.settings import load_settings
from tests.conftest import edit_meetings, set_setting

NOW = datetime(2011, 2, 15, 12, tzinfo=UTC)
EVERY_LANGUAGE = (
    '[languages]\nallow_drafts = ["es", "pt-BR", "ht", "vi", "ar", "zh-Hans", "zh-Hant", "kea"]'
)


def build(workspace: Path, out: Path | None = None) -> BuildResult:
    return work.build(load_settings(workspace / "reminders.toml", workspace), NOW, out)


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_every_feed_is_what_icalendar_makes_of_the_whole_calendar(workspace: Path) -> None:
    set_setting(workspace, EVERY_LANGUAGE)
    public = build(workspace).folder
    feeds = sorted(public.rglob("*.ics"))
    assert len(feeds) == 1 + 10 + 10 + 8  # the series, each meeting, each city, each language
    for feed in feeds:
        data = feed.read_bytes()
        assert bytes(Calendar.from_ical(data).to_ical()) == data, feed.name


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
        'msgid "Details and updates: %(url)s"\nmsgstr "Todo sobre la reunión: %(url)s"\n',
        encoding="utf-8",
    )
    settings = (workspace / "reminders.toml").read_text()
    (workspace / "reminders.toml").write_text('locale = "locale"\n' + settings)
    result = build(workspace)
    assert result.serialized == 10  # the Spanish events, not the English ones
    assert "Todo sobre la reuni" in (result.folder / "meetings.es.ics").read_text()
