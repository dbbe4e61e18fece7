"""Attendance in the state: answers under opaque ids until the meeting ends, then counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from reminders.attendance import Answer, Reply, Tally, answer_id
from reminders.daemon import Daemon
from reminders.inputs.meetings_file import load_series
from reminders.inputs.subscribers import load_subscribers
from reminders.store import open_state
from reminders.store.attendance import forget_ended, record, tallies
from reminders.store.secret import load_secret
from reminders.tokens import address_id
from tests.conftest import NEW_YORK, ROOT, set_setting
from tests.support.mailsink import SinkServer
from tests.support.runs import settings_of

WORCESTER = "2011-02-26-worcester"
LOWELL = "2011-05-26-lowell"
ENDS = datetime(2011, 2, 26, 16, tzinfo=NEW_YORK)
SERIES = load_series(ROOT / "data" / "meetings.toml")
PEOPLE = load_subscribers(ROOT / "data" / "subscribers.example.csv", SERIES.cities)


def answer_everyone(home: Path, meeting_id: str = WORCESTER) -> None:
    """Each person of the bundled list answers, as their link files it."""
    with open_state(home / "var" / "state.db") as db:
        key = load_secret(db).current
        for n, person in enumerate(PEOPLE):
            reply = (Reply.YES, Reply.MAYBE, Reply.NO)[n % 3]
            given = Answer(response=reply, guests=1, interpretation="es", children=1)
            record(db, meeting_id, answer_id(key, meeting_id, person.email), given, ENDS)


def test_an_answer_given_again_replaces_the_first(tmp_path: Path) -> None:
    with open_state(tmp_path / "state.db") as db:
        record(db, WORCESTER, "a1", Answer(response=Reply.YES, guests=2), ENDS)
        record(db, WORCESTER, "a1", Answer(response=Reply.MAYBE), ENDS)
        record(db, WORCESTER, "a2", Answer(response=Reply.YES), ENDS)
        assert tallies(db)[WORCESTER] == Tally(yes=1, maybe=1)


def test_the_attendance_tables_hold_no_address_name_or_address_id(workspace: Path) -> None:
    answer_everyone(workspace)
    with open_state(workspace / "var" / "state.db") as db:
        key = load_secret(db).current
        stored = " ".join(
            str(value)
            for table in ("attendance_answer", "attendance_total", "attendance_summary")
            for row in db.execute(f"SELECT * FROM {table}")
            for value in row
        )
    assert stored  # the answers are there
    assert "@" not in stored
    for person in PEOPLE:
        assert person.email.split("@")[0] not in stored
        assert not person.name or person.name.split()[0] not in stored
        assert address_id(key, person.email) not in stored  # not joinable with sign-ups


def test_answers_of_an_ended_meeting_are_gone_after_the_next_tick_counts_stay(
    workspace: Path,
) -> None:
    answer_everyone(workspace, WORCESTER)
    answer_everyone(workspace, LOWELL)
    with open_state(workspace / "var" / "state.db") as db:
        before = tallies(db)
    Daemon(settings_of(workspace)).tick(ENDS + timedelta(minutes=1))
    with open_state(workspace / "var" / "state.db") as db:
        left = {row[0] for row in db.execute("SELECT meeting_id FROM attendance_answer")}
        assert left == {LOWELL}  # the meeting ahead keeps its answers, which may change
        assert tallies(db) == before  # the organizers keep the numbers


def test_a_meeting_moved_later_keeps_its_answers(tmp_path: Path) -> None:
    with open_state(tmp_path / "state.db") as db:
        record(db, WORCESTER, "a1", Answer(response=Reply.YES), ENDS)
        moved = {WORCESTER: ENDS + timedelta(days=7)}
        assert forget_ended(db, ENDS + timedelta(days=1), moved) == 0
        assert forget_ended(db, ENDS + timedelta(days=8), moved) == 1
        # A meeting gone from the file ends when it ended when it was answered.
        record(db, LOWELL, "a2", Answer(response=Reply.YES), ENDS)
        assert forget_ended(db, ENDS + timedelta(seconds=1), {}) == 1
        assert tallies(db)[LOWELL] == Tally(yes=1)


def test_the_organizers_get_one_summary_a_day_with_the_change(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    set_setting(mail_workspace, '[attendance]\nnotify = "Organizers <organizers@example.org>"')
    daemon = Daemon(settings_of(mail_workspace))
    daemon.tick(datetime(2011, 2, 18, 8, 30, tzinfo=NEW_YORK))  # before the send time
    assert smtp.sink.to("organizers@example.org") == []
    answer_everyone(mail_workspace)
    daemon.tick(datetime(2011, 2, 19, 9, 5, tzinfo=NEW_YORK))
    daemon.tick(datetime(2011, 2, 19, 15, 0, tzinfo=NEW_YORK))
    [first] = smtp.sink.to("organizers@example.org")
    text = first.message.get_body(("plain",))
    assert text is not None
    body = text.get_content().replace("\r\n", "\n")
    assert "Worcester: Saturday, February 26, 2011" in body
    assert "Coming: 3\n" in body  # 8 people: yes, maybe, no, yes, maybe, no, yes, maybe
    assert "Maybe: 3\n" in body
    assert "Interpretation into Español: 6\n" in body
    assert "Framingham" not in body  # more than a week ahead
    assert "@" not in body
    with open_state(mail_workspace / "var" / "state.db") as db:
        record(db, WORCESTER, "w-new", Answer(response=Reply.YES), ENDS)
    daemon.tick(datetime(2011, 2, 20, 9, 5, tzinfo=NEW_YORK))
    second = smtp.sink.to("organizers@example.org")[1].message.get_body(("plain",))
    assert second is not None
    assert "Coming: 4 (+1)" in second.get_content()
    assert len(smtp.sink.to("organizers@example.org")) == 2


def test_the_daemon_refreshes_the_public_counts_on_the_landing_page(workspace: Path) -> None:
    set_setting(workspace, "[attendance]\npublic = true")
    daemon = Daemon(settings_of(workspace))
    daemon.tick(datetime(2011, 2, 18, 8, 0, tzinfo=NEW_YORK))
    index = workspace / "public" / "index.html"
    assert "plan to come" not in index.read_text(encoding="utf-8")
    answer_everyone(workspace)  # 3 yes with a guest each: 6 expected
    daemon.tick(datetime(2011, 2, 18, 8, 10, tzinfo=NEW_YORK))
    page = index.read_text(encoding="utf-8")
    worcester = page.split(f'id="{WORCESTER}"')[1].split("</article>")[0]
    assert "5 or more people plan to come" in worcester
    assert "plan to come" not in page.split(f'id="{WORCESTER}"')[0]
