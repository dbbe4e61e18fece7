"""Change and cancellation notices, and the late "venue announced" reminder."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from icalendar import Calendar

from reminders.cli import work
from reminders.daemon import Daemon
from reminders.inputs.meetings import Snapshot
from reminders.inputs.meetings_file import load_series
from reminders.notices import changes, observe
from reminders.sending import SendReport
from reminders.settings import load_settings
from reminders.store import open_state, told
from tests.conftest import MEETINGS, NEW_YORK, edit_meetings, run_cli, set_setting
from tests.support.mailsink import Received, SinkServer

REMINDED = {"maria.example@example.org", "ana@example.org", "sam@example.org", "fatima@example.org"}
REMINDER_TIME = datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK)
WORCESTER_TIMES = 'start = "14:00"\nend = "16:00"'


def send_at(workspace: Path, moment: datetime) -> SendReport:
    return work.send(load_settings(workspace / "reminders.toml", workspace), moment)


def with_subject(smtp: SinkServer, prefix: str) -> list[Received]:
    return [m for m in smtp.sink.received if m.message["Subject"].startswith(prefix)]


def sequence_of(message: Received) -> int:
    part = next(p for p in message.message.walk() if p.get_content_type() == "text/calendar")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    [event] = Calendar.from_ical(payload).walk("VEVENT")
    return int(str(event["SEQUENCE"]))


def remind(workspace: Path, smtp: SinkServer) -> None:
    send_at(workspace, REMINDER_TIME)
    assert {m.recipients[0] for m in smtp.sink.received} == REMINDED


def test_moved_meeting_sends_one_change_notice_to_each_reminded_person(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    remind(mail_workspace, smtp)
    edit_meetings(mail_workspace, WORCESTER_TIMES, 'start = "15:00"\nend = "17:00"')
    send_at(mail_workspace, REMINDER_TIME + timedelta(hours=2))
    send_at(mail_workspace, REMINDER_TIME + timedelta(hours=3))
    notices = with_subject(smtp, "Changed: Worcester")
    assert sorted(m.recipients[0] for m in notices) == sorted(REMINDED)
    text = notices[0].message.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert (
        "When:\r\n  Was: Saturday, February 26, 2011, 2\u2009–\u20094\u202fPM Eastern Time\r\n"
        "  Now: Saturday, February 26, 2011, 3\u2009–\u20095\u202fPM Eastern Time"
    ) in body
    reminder = next(m for m in smtp.sink.received if m.message["Subject"].startswith("Reminder"))
    assert sequence_of(notices[0]) == sequence_of(reminder) + 1


def test_cancellation_sends_one_cancellation_notice_with_a_cancelled_event(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    remind(mail_workspace, smtp)
    edit_meetings(mail_workspace, WORCESTER_TIMES, WORCESTER_TIMES + '\nstatus = "cancelled"')
    send_at(mail_workspace, REMINDER_TIME + timedelta(days=1))
    send_at(mail_workspace, REMINDER_TIME + timedelta(days=2))
    cancelled = with_subject(smtp, "Cancelled: Worcester")
    assert sorted(m.recipients[0] for m in cancelled) == sorted(REMINDED)
    part = next(p for p in cancelled[0].message.walk() if p.get_content_type() == "text/calendar")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert b"STATUS:CANCELLED" in payload
    assert len(smtp.sink.received) == 8


def test_notes_only_edit_sends_nothing(mail_workspace: Path, smtp: SinkServer) -> None:
    remind(mail_workspace, smtp)
    edit_meetings(mail_workspace, WORCESTER_TIMES, WORCESTER_TIMES + '\nnotes = "Bring ID"')
    send_at(mail_workspace, REMINDER_TIME + timedelta(hours=2))
    assert len(smtp.sink.received) == 4


def test_two_edits_between_ticks_make_one_notice(mail_workspace: Path, smtp: SinkServer) -> None:
    remind(mail_workspace, smtp)
    edit_meetings(mail_workspace, WORCESTER_TIMES, 'start = "15:00"\nend = "17:00"')
    edit_meetings(mail_workspace, 'venue = "Worcester Public Library"', 'venue = "City Hall"')
    send_at(mail_workspace, REMINDER_TIME + timedelta(hours=2))
    send_at(mail_workspace, REMINDER_TIME + timedelta(hours=4))
    notices = with_subject(smtp, "Changed")
    assert len(notices) == 4
    html = notices[0].message.get_body(("html",))
    assert html is not None
    assert "City Hall" in html.get_content()
    assert "Worcester Public Library" in html.get_content()


def test_edit_undone_before_the_tick_makes_no_notice(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    remind(mail_workspace, smtp)
    edit_meetings(mail_workspace, WORCESTER_TIMES, 'start = "15:00"\nend = "17:00"')
    edit_meetings(mail_workspace, 'start = "15:00"\nend = "17:00"', WORCESTER_TIMES)
    send_at(mail_workspace, REMINDER_TIME + timedelta(hours=2))
    assert len(smtp.sink.received) == 4


def test_a_second_change_later_gets_its_own_notice(mail_workspace: Path, smtp: SinkServer) -> None:
    remind(mail_workspace, smtp)
    edit_meetings(mail_workspace, WORCESTER_TIMES, 'start = "15:00"\nend = "17:00"')
    send_at(mail_workspace, REMINDER_TIME + timedelta(hours=2))
    edit_meetings(mail_workspace, 'start = "15:00"\nend = "17:00"', WORCESTER_TIMES)
    send_at(mail_workspace, REMINDER_TIME + timedelta(hours=4))
    assert len(with_subject(smtp, "Changed")) == 8


def test_no_notice_once_the_meeting_has_started(mail_workspace: Path, smtp: SinkServer) -> None:
    remind(mail_workspace, smtp)
    edit_meetings(mail_workspace, 'end = "16:00"', 'end = "16:30"')
    send_at(mail_workspace, datetime(2011, 2, 26, 14, 10, tzinfo=NEW_YORK))
    assert len(smtp.sink.received) == 4


def test_audience_all_tells_everyone_who_would_get_reminders(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    set_setting(mail_workspace, '[notices]\naudience = "all"')
    send_at(mail_workspace, datetime(2011, 2, 20, 9, tzinfo=NEW_YORK))  # before any reminder
    edit_meetings(mail_workspace, 'venue = "Worcester Public Library"', 'venue = "City Hall"')
    send_at(mail_workspace, datetime(2011, 2, 21, 9, tzinfo=NEW_YORK))
    assert sorted(m.recipients[0] for m in with_subject(smtp, "Changed")) == sorted(REMINDED)
    send_at(mail_workspace, REMINDER_TIME)
    assert len(smtp.sink.received) == 8


def test_venue_announced_two_days_before_gets_one_late_venue_reminder(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    # Waltham (April 16, noon) is TBD while its 3-day window opens on April 13.
    send_at(mail_workspace, datetime(2011, 4, 13, 9, 30, tzinfo=NEW_YORK))
    assert smtp.sink.received == []
    edit_meetings(
        mail_workspace,
        'end = "14:00"\nvenue = "TBD"',
        'end = "14:00"\nvenue = "Waltham Public Library"',
    )
    for hours in (24, 25, 30, 48):
        send_at(mail_workspace, datetime(2011, 4, 13, 10, tzinfo=NEW_YORK) + timedelta(hours=hours))
    announced = with_subject(smtp, "Venue announced: Waltham meeting in 2 days")
    assert sorted(m.recipients[0] for m in announced) == [
        "maria.example@example.org",
        "sam@example.org",
        "wei@example.org",
    ]
    assert len(smtp.sink.received) == 3


def test_venue_announced_less_than_a_day_before_gets_no_late_reminder(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    send_at(mail_workspace, datetime(2011, 4, 13, 9, 30, tzinfo=NEW_YORK))
    edit_meetings(
        mail_workspace,
        'end = "14:00"\nvenue = "TBD"',
        'end = "14:00"\nvenue = "Waltham Public Library"',
    )
    send_at(mail_workspace, datetime(2011, 4, 15, 18, tzinfo=NEW_YORK))
    assert smtp.sink.received == []


def test_plan_shows_pending_notices(mail_workspace: Path, smtp: SinkServer) -> None:
    remind(mail_workspace, smtp)
    edit_meetings(mail_workspace, WORCESTER_TIMES, WORCESTER_TIMES + '\nstatus = "cancelled"')
    result = run_cli("plan", "--now", "2011-02-24T09:00-05:00", cwd=mail_workspace)
    assert result.returncode == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if "cancel notice" in line]
    assert row.split()[-5:] == ["notice", "4", "-", "due", "now"]


def test_simulate_shows_notices_in_the_timeline(mail_workspace: Path, smtp: SinkServer) -> None:
    remind(mail_workspace, smtp)
    edit_meetings(mail_workspace, WORCESTER_TIMES, 'start = "15:00"\nend = "17:00"')
    result = run_cli(
        "simulate",
        "--from",
        "2011-02-24T00:00-05:00",
        "--to",
        "2011-02-25T00:00-05:00",
        "--live",
        cwd=mail_workspace,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("LIVE: sending through smtp://127.0.0.1:")
    assert "2011-02-24 00:00 EST  2011-02-26-worcester     change:1       4 sent" in result.stdout


def test_simulate_without_live_mails_nobody_and_records_nothing(
    mail_workspace: Path, smtp: SinkServer, tmp_path: Path
) -> None:
    outbox = tmp_path / "replayed"
    result = run_cli(
        "simulate",
        "--from",
        "2011-02-15T00:00-05:00",
        "--to",
        "2011-03-01T00:00-05:00",
        "--outbox",
        str(outbox),
        cwd=mail_workspace,
    )
    assert result.returncode == 0, result.stderr
    assert "2011-02-23 09:00 EST  2011-02-26-worcester     reminder:3d    4 sent" in result.stdout
    assert "nobody is mailed" in result.stderr
    assert smtp.sink.received == []
    assert not (mail_workspace / "var").exists()  # neither the state nor the outbox
    assert not (mail_workspace / "public").exists()
    assert len(list((outbox / "new").iterdir())) == 4


def test_changes_name_what_a_reader_acts_on() -> None:
    worcester = load_series(MEETINGS).meetings[0]
    before = Snapshot.of(worcester)
    moved = Snapshot.of(replace(worcester, start=worcester.start + timedelta(hours=1)))
    assert [c.field for c in changes(before, moved)] == ["when"]
    retitled = Snapshot.of(replace(worcester, title="New title", notes="typo fixed"))
    assert changes(before, retitled) == []


def test_observe_records_when_a_tbd_venue_became_known() -> None:
    series = load_series(MEETINGS)
    first = observe(series, {}, REMINDER_TIME)
    assert first["2011-04-16-waltham"].tbd_seen
    assert first["2011-04-16-waltham"].known_at is None
    assert not first["2011-02-26-worcester"].tbd_seen
    waltham = replace(series.meetings[3], venue="Library")
    later = replace(series, meetings=(waltham,))
    second = observe(later, first, REMINDER_TIME + timedelta(days=1))
    assert second["2011-04-16-waltham"].known_at == REMINDER_TIME + timedelta(days=1)
    assert observe(later, {**first, **second}, REMINDER_TIME + timedelta(days=2)) == {}


def test_a_daemon_notes_a_venue_announced_by_an_edit_and_leaves_the_other_watches(
    workspace: Path,
) -> None:
    settings = load_settings(workspace / "reminders.toml", workspace)
    daemon = Daemon(settings)
    daemon.tick(REMINDER_TIME)
    with open_state(settings.state) as db:
        before = told.load_watches(db)
    assert before["2011-04-16-waltham"].tbd_seen
    assert before["2011-04-16-waltham"].known_at is None
    edit_meetings(
        workspace,
        'start = "12:00"\nend = "14:00"\nvenue = "TBD"',
        'start = "12:00"\nend = "14:00"\nvenue = "Waltham Public Library"',
    )
    daemon.tick(REMINDER_TIME + timedelta(hours=1))
    with open_state(settings.state) as db:
        after = told.load_watches(db)
        assert told.load_watches(db, ["2011-04-16-waltham"]) == {
            "2011-04-16-waltham": after["2011-04-16-waltham"]
        }
    assert after["2011-04-16-waltham"].known_at == REMINDER_TIME + timedelta(hours=1)
    assert after.keys() == before.keys()
    assert {k: w for k, w in after.items() if k != "2011-04-16-waltham"} == {
        k: w for k, w in before.items() if k != "2011-04-16-waltham"
    }
