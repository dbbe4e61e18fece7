"""A process's copy of a table holds while no one else writes it, on either engine.

The copy's loader is the real one, counted: how often a copy reads the
table is what it is for, and what it returns must always equal a fresh read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reminders.cli import work
from reminders.daemon import Daemon
from reminders.notices import Watch
from reminders.revisions import Revision, load_revisions, save_revisions
from reminders.settings import load_settings
from reminders.store import told
from reminders.store.base import Database
from reminders.store.editions import Copy, edition
from tests.conftest import edit_meetings
from tests.support.folders import folder_bytes

NOW = datetime(2011, 2, 23, 14, 0, tzinfo=UTC)


def revision(meeting_id: str, sequence: int = 0) -> Revision:
    return Revision(
        meeting_id=meeting_id, fingerprint=f"f{sequence}", sequence=sequence, modified=NOW
    )


class Counted:
    """The revision table's own loader, counting its reads."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self, db: Database) -> dict[str, Revision]:
        self.reads += 1
        return dict(load_revisions(db))


@pytest.fixture
def counted() -> Counted:
    return Counted()


@pytest.fixture
def copy(counted: Counted) -> Copy[Revision]:
    return Copy("revision", counted)


def test_a_copy_reads_the_table_once_while_no_one_writes(
    db: Database, copy: Copy[Revision], counted: Counted
) -> None:
    save_revisions(db, [revision("worcester")])
    assert copy.read(db) == {"worcester": revision("worcester")}
    assert copy.read(db) == {"worcester": revision("worcester")}
    assert counted.reads == 1


def test_a_write_by_another_process_is_read_at_the_next_read(
    db: Database, second: Database, copy: Copy[Revision], counted: Counted
) -> None:
    save_revisions(db, [revision("worcester")])
    copy.read(db)
    save_revisions(second, [revision("worcester", 1), revision("lowell")])
    assert copy.read(db) == {"worcester": revision("worcester", 1), "lowell": revision("lowell")}
    assert counted.reads == 2


@pytest.mark.parametrize("earlier", [[], [revision("lowell")]], ids=["first write", "later"])
def test_a_copy_takes_its_own_write_without_reading_again(
    db: Database, copy: Copy[Revision], counted: Counted, earlier: list[Revision]
) -> None:
    save_revisions(db, earlier)
    copy.read(db)
    save_revisions(db, [revision("worcester", 2)], copy)
    assert copy.read(db) == load_revisions(db)
    assert "worcester" in copy.read(db)
    assert counted.reads == 1


def test_a_write_between_reading_and_writing_sends_the_copy_back_to_the_table(
    db: Database, second: Database, copy: Copy[Revision], counted: Counted
) -> None:
    theirs = Copy("revision", Counted())
    copy.read(db)
    theirs.read(second)
    save_revisions(second, [revision("lowell")], theirs)
    save_revisions(db, [revision("worcester")], copy)
    both = {"worcester": revision("worcester"), "lowell": revision("lowell")}
    assert copy.read(db) == both
    assert counted.reads == 2
    assert theirs.read(second) == both  # the later write renewed the edition all the same


def rolled_back(db: Database, copy: Copy[Revision]) -> None:
    with db.transaction():
        save_revisions(db, [revision("worcester")], copy)
        raise RuntimeError("the enclosing work failed")


def test_a_write_rolled_back_leaves_the_copy_as_the_table_is(
    db: Database, copy: Copy[Revision]
) -> None:
    save_revisions(db, [revision("lowell")])
    copy.read(db)
    with pytest.raises(RuntimeError):
        rolled_back(db, copy)
    assert copy.read(db) == {"lowell": revision("lowell")}


def test_writing_nothing_keeps_the_edition(db: Database) -> None:
    save_revisions(db, [revision("lowell")])
    before = edition(db, "revision")
    save_revisions(db, [])
    told.save_watches(db, [])
    assert edition(db, "revision") == before != ""
    assert edition(db, "watch") == ""


def test_venue_watches_are_kept_the_same_way(db: Database, second: Database) -> None:
    copy = told.stored_watches()
    seen = Watch(meeting_id="lowell", tbd_seen=True, known_at=None, base=None)
    told.save_watches(db, [seen], copy)
    assert told.load_watches(db, copy=copy) == {"lowell": seen}
    known = Watch(meeting_id="lowell", tbd_seen=True, known_at=NOW, base=None)
    told.save_watches(second, [known])
    assert told.load_watches(db, copy=copy) == {"lowell": known}


def test_a_daemon_publishes_the_revisions_a_command_stored_meanwhile(workspace: Path) -> None:
    settings = load_settings(workspace / "reminders.toml", workspace)
    daemon = Daemon(settings)
    daemon.tick(NOW)
    edit_meetings(workspace, "Worcester Public Library", "Worcester City Hall")
    work.build(settings, NOW, workspace / "by-hand")  # bumps the meeting's revision
    daemon.tick(NOW + timedelta(days=1))  # which the daemon must not bump again, a day later
    assert folder_bytes(workspace / "public") == folder_bytes(workspace / "by-hand")
