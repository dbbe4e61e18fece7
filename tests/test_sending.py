"""Sending through a real SMTP server on 127.0.0.1: who gets what, once, despite faults."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from reminders.cli import work
from reminders.mail.handover import Envelope, at_once, none_next
from reminders.mail.transports import open_transport
from reminders.sending import load_inputs, prepare, send_due
from reminders.settings import load_settings
from reminders.store import open_state
from tests.conftest import NEW_YORK, edit_meetings, run_cli, set_setting
from tests.support.mailsink import SinkServer
from tests.support.runs import send_at, settings_of

WANT_WORCESTER = {
    "maria.example@example.org",
    "ana@example.org",
    "sam@example.org",
    "fatima@example.org",
}


def recipients(smtp: SinkServer) -> list[str]:
    return sorted(r for message in smtp.sink.received for r in message.recipients)


def test_worcester_reminder_reaches_exactly_those_who_want_it(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    result = run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=mail_workspace)
    assert result.returncode == 0, result.stderr
    assert "sent 4 of 4 due" in result.stdout
    assert set(recipients(smtp)) == WANT_WORCESTER
    for message in smtp.sink.received:
        assert len(message.recipients) == 1
        assert message.message["To"].addresses[0].addr_spec == message.recipients[0]
        assert "Worcester" in message.message["Subject"]
    again = run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=mail_workspace)
    assert "sent 0 of 0 due" in again.stdout
    assert len(smtp.sink.received) == 4


def test_whole_season_reminds_only_meetings_with_a_venue(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    moment = datetime(2011, 2, 15, 9, tzinfo=NEW_YORK)
    while moment < datetime(2011, 7, 10, tzinfo=NEW_YORK):
        send_at(mail_workspace, moment)
        moment += timedelta(hours=6)
    subjects = {m.message["Subject"].split(" meeting")[0] for m in smtp.sink.received}
    assert subjects == {"Reminder: Worcester", "Reminder: Framingham", "Reminder: Lawrence"}
    per_delivery = [(m.message["Subject"], m.recipients[0]) for m in smtp.sink.received]
    assert len(per_delivery) == len(set(per_delivery))


def test_venue_announced_makes_the_reminder_due_inside_its_window_only(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    # Waltham, Saturday April 16 at noon: its window opens Wednesday April 13 at 09:00.
    send_at(mail_workspace, datetime(2011, 4, 13, 10, tzinfo=NEW_YORK))
    assert smtp.sink.received == []
    # The first TBD meeting of the file is Waltham's.
    edit_meetings(
        mail_workspace,
        'end = "14:00"\nvenue = "TBD"',
        'end = "14:00"\nvenue = "Waltham Public Library"',
    )
    send_at(mail_workspace, datetime(2011, 4, 14, 10, tzinfo=NEW_YORK))
    waltham = [m for m in smtp.sink.received if "Waltham" in m.message["Subject"]]
    assert sorted(m.recipients[0] for m in waltham) == sorted(
        ["maria.example@example.org", "sam@example.org", "wei@example.org"]
    )
    send_at(mail_workspace, datetime(2011, 4, 16, 11, tzinfo=NEW_YORK))
    send_at(mail_workspace, datetime(2011, 4, 16, 13, tzinfo=NEW_YORK))
    assert len([m for m in smtp.sink.received if "Waltham" in m.message["Subject"]]) == 3


def test_venue_announced_after_the_meeting_started_sends_nothing(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    edit_meetings(mail_workspace, 'end = "14:00"\nvenue = "TBD"', 'end = "14:00"\nvenue = "Hall"')
    send_at(mail_workspace, datetime(2011, 4, 16, 12, 30, tzinfo=NEW_YORK))
    assert smtp.sink.received == []


def test_451_leaves_the_delivery_due_and_a_later_run_sends_it_once(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    smtp.sink.faults.data_replies = ["451 4.3.0 try again later"]
    first = datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK)
    report = send_at(mail_workspace, first)
    assert (report.sent, report.retry) == (3, 1)
    # Before the retry delay nothing goes; after it, the one left goes once.
    assert send_at(mail_workspace, first + timedelta(minutes=1)).sent == 0
    assert send_at(mail_workspace, first + timedelta(minutes=6)).sent == 1
    assert send_at(mail_workspace, first + timedelta(minutes=30)).sent == 0
    assert sorted(recipients(smtp)) == sorted(WANT_WORCESTER)


def test_550_for_one_recipient_fails_that_one_only(mail_workspace: Path, smtp: SinkServer) -> None:
    smtp.sink.faults.rcpt_replies = {"ana@example.org": "550 5.1.1 no such user"}
    report = send_at(mail_workspace, datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK))
    assert (report.sent, report.failed) == (3, 1)
    assert set(recipients(smtp)) == WANT_WORCESTER - {"ana@example.org"}
    smtp.sink.faults.rcpt_replies = {}
    later = send_at(mail_workspace, datetime(2011, 2, 24, 9, 5, tzinfo=NEW_YORK))
    assert later.sent == 0
    status = run_cli("status", cwd=mail_workspace)
    assert "2011-02-26-worcester    3     1" in status.stdout


def test_dropped_connection_mid_batch_loses_and_duplicates_nothing(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    smtp.sink.faults.drop_after = 2
    first = datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK)
    report = send_at(mail_workspace, first)
    assert (report.sent, report.retry) == (3, 1)
    send_at(mail_workspace, first + timedelta(minutes=10))
    assert sorted(recipients(smtp)) == sorted(WANT_WORCESTER)


def test_server_without_starttls_is_refused_unless_allowed(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    settings = mail_workspace / "reminders.toml"
    settings.write_text(settings.read_text().replace("?starttls=off", ""))
    result = run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=mail_workspace)
    assert result.returncode == 3
    assert "does not offer STARTTLS" in result.stderr
    assert smtp.sink.received == []
    retry = run_cli("status", cwd=mail_workspace)
    assert "2011-02-26-worcester    0" in retry.stdout


def test_unreachable_server_stops_the_run_and_keeps_everything_due(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    settings = mail_workspace / "reminders.toml"
    settings.write_text(settings.read_text().replace(str(smtp.port), "1"))
    result = run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=mail_workspace)
    assert result.returncode == 3
    assert "unreachable" in result.stderr
    assert "Traceback" not in result.stderr
    plan = run_cli("plan", "--now", "2011-02-23T09:10-05:00", cwd=mail_workspace)
    [row] = [line for line in plan.stdout.splitlines() if "2011-02-26-worcester" in line]
    assert row.split()[-5:] == ["3d", "4", "0", "due", "now"]


def test_unsubscribed_address_gets_nothing(mail_workspace: Path, smtp: SinkServer) -> None:
    assert run_cli("unsubscribe", "Ana@example.org", cwd=mail_workspace).returncode == 0
    send_at(mail_workspace, datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK))
    assert set(recipients(smtp)) == WANT_WORCESTER - {"ana@example.org"}


def test_dry_run_sends_nothing(mail_workspace: Path, smtp: SinkServer) -> None:
    result = run_cli("send", "--dry-run", "--now", "2011-02-23T09:05-05:00", cwd=mail_workspace)
    assert "would send 4 of 4 due" in result.stdout
    assert smtp.sink.received == []


def test_preview_renders_one_message(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "preview.eml"
    result = run_cli(
        "preview", "2011-02-26-worcester", "--to", "ana@example.org", "--out", out, cwd=workspace
    )
    assert result.returncode == 0, result.stderr
    assert b"To: Ana <ana@example.org>" in out.read_bytes()
    unknown = run_cli("preview", "no-such-meeting", cwd=workspace)
    assert unknown.returncode == 1
    assert "no meeting 'no-such-meeting'" in unknown.stderr


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("reminder", "Subject: Reminder: Worcester"),
        ("venue", "Subject: "),
        ("change", "Subject: Changed: Worcester"),
        ("cancel", "Subject: Cancelled: Worcester"),
    ],
)
def test_preview_shows_each_kind_decoded_as_a_reader_sees_it(
    workspace: Path, kind: str, subject: str
) -> None:
    result = run_cli(
        "preview",
        "2011-02-26-worcester",
        "--kind",
        kind,
        "--to",
        "maria.example@example.org",
        cwd=workspace,
    )
    assert result.returncode == 0, result.stderr
    assert "To: María Pérez <maria.example@example.org>" in result.stdout
    assert subject in result.stdout
    assert "=C3=AD" not in result.stdout  # decoded, not quoted-printable
    assert "[attached: 2011-02-26-worcester.ics]" in result.stdout
    raw = run_cli("preview", "2011-02-26-worcester", "--kind", kind, "--raw", cwd=workspace)
    assert "Content-Transfer-Encoding: quoted-printable" in raw.stdout


def test_maildir_is_the_default_outbox(workspace: Path) -> None:
    result = run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert len(list((workspace / "var" / "outbox" / "new").iterdir())) == 4


def test_log_never_shows_an_address(mail_workspace: Path, smtp: SinkServer) -> None:
    smtp.sink.faults.rcpt_replies = {"ana@example.org": "550 no"}
    result = run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=mail_workspace)
    assert "ana@example.org" not in result.stdout + result.stderr


def test_templates_that_transform_the_name_still_get_each_persons_own(
    mail_workspace: Path, smtp: SinkServer, tmp_path: Path
) -> None:
    from reminders import bundled

    # One template overridden; the rest come from the package.
    templates = tmp_path / "templates"
    (templates / "email").mkdir(parents=True)
    text = templates / "email" / "reminder.txt.j2"
    text.write_text(
        (bundled.TEMPLATES / "email" / "reminder.txt.j2")
        .read_text()
        .replace('{% include "_head.txt.j2" %}', "NAME: {{ subscriber.name|upper }}")
    )
    settings = mail_workspace / "reminders.toml"
    settings.write_text(f'templates = "{templates}"\n' + settings.read_text())
    send_at(mail_workspace, datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK))
    bodies = {}
    for message in smtp.sink.received:
        part = message.message.get_body(("plain",))
        assert part is not None
        bodies[message.recipients[0]] = part.get_content()
    assert "NAME: ANA\r\n" in bodies["ana@example.org"]
    assert "NAME: SAM LEE\r\n" in bodies["sam@example.org"]
    assert "NAME: FATIMA ALI\r\n" in bodies["fatima@example.org"]


def test_a_sender_gives_back_what_it_cannot_send_before_its_lease_ends(
    mail_workspace: Path, smtp: SinkServer, caplog: pytest.LogCaptureFixture
) -> None:
    # timeout 5 s: no send starts within 5 s of the lease's end, 15 s after each claim.
    set_setting(mail_workspace, '[queue]\nbatch = 3\nlease = "20 seconds"')
    start = datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK)
    readings = itertools.count()

    def clock() -> datetime:  # six seconds pass at each look at the clock
        return start + timedelta(seconds=6 * next(readings))

    settings = load_settings(mail_workspace / "reminders.toml", mail_workspace)
    with caplog.at_level(logging.WARNING, logger="reminders"):
        report = work.send(settings, start, clock=clock)
    assert report.sent == 4
    assert recipients(smtp) == sorted(WANT_WORCESTER)
    assert "lease nearly over; giving back 1 claims" in caplog.text


def test_each_message_s_end_carries_the_next_envelope_across_claim_batches(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    """Where the server pipelines, one round trip a message: a batch's last included."""
    set_setting(mail_workspace, "[queue]\nbatch = 2")  # four messages: two batches
    settings = settings_of(mail_workspace)
    inputs = load_inputs(settings)
    moment = datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK)
    outbox = open_transport(settings.mail.transport, settings.root, timeout=5)
    told: list[tuple[str, str | None]] = []

    class Watching:
        """The SMTP transport, noting which envelope each message's end carried."""

        def send(
            self,
            sender: str,
            recipient: str,
            message: bytes,
            ready: Callable[[], None] = at_once,
            following: Callable[[], Envelope | None] = none_next,
        ) -> None:
            def asked() -> Envelope | None:
                # The next message is made on the composer thread: give it a moment.
                waited = 0
                while (after := following()) is None and len(told) < 3 and waited < 500:
                    time.sleep(0.01)
                    waited += 1
                told.append((recipient, after and after.recipient))
                return after

            outbox.send(sender, recipient, message, ready, asked)

        def close(self) -> None:
            outbox.close()

    with open_state(settings.state) as db:
        revisions = prepare(db, settings, inputs.series, moment)
        report = send_due(db, settings, inputs, revisions, moment, transport=Watching())
    assert report.sent == 4
    assert {recipient for recipient, _ in told} == WANT_WORCESTER
    went = [recipient for recipient, _ in told]
    assert told == list(zip(went, [*went[1:], None], strict=True))
    assert sorted(recipients(smtp)) == sorted(WANT_WORCESTER)


def test_status_shows_each_senders_claims_and_expired_leases(workspace: Path) -> None:
    from reminders.kinds import Kind
    from reminders.plan import Delivery
    from reminders.store import open_state, queue

    closes = datetime(2099, 1, 1, tzinfo=NEW_YORK)
    db = open_state(workspace / "var" / "state.db")
    queue.enqueue(
        db,
        [
            Delivery(
                meeting_id="m",
                kind=Kind("reminder:3d"),
                recipient=f"{n}@example.org",
                closes=closes,
            )
            for n in range(3)
        ],
        datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK),
    )
    claimed_at = datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK)
    queue.claim(db, "gone.example.org:4242", claimed_at, claimed_at + timedelta(minutes=15), 2)
    db.close()
    status = run_cli("status", cwd=workspace)
    assert status.returncode == 0, status.stderr
    assert "gone.example.org:4242  0        2        2011-02-23 14:20:00 UTC" in status.stdout
    assert "Expired leases: that sender stopped mid-batch" in status.stdout
    assert "@example.org" not in status.stdout


def test_one_meetings_broken_template_does_not_stop_the_others(
    mail_workspace: Path, smtp: SinkServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from reminders import bundled

    # A template that fails only for Worcester: the other meeting due still goes.
    templates = tmp_path / "templates"
    (templates / "email").mkdir(parents=True)
    broken = templates / "email" / "reminder.subject.j2"
    broken.write_text(
        "{% if meeting.city == 'Worcester' %}{{ meeting.nope.deeper }}{% endif %}"
        + (bundled.TEMPLATES / "email" / "reminder.subject.j2").read_text()
    )
    settings = mail_workspace / "reminders.toml"
    settings.write_text(f'templates = "{templates}"\n' + settings.read_text())
    edit_meetings(mail_workspace, "date = 2011-03-12", "date = 2011-02-26")  # Framingham too
    report = send_at(mail_workspace, datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK))
    assert report.error is None
    assert {m.message["Subject"].split(":")[1].split()[0] for m in smtp.sink.received} == {
        "Framingham"
    }
    assert "2011-02-26-worcester: its messages cannot be made" in caplog.text


def test_status_counts_the_suppressed_even_when_nothing_is_due(workspace: Path) -> None:
    assert run_cli("unsubscribe", "ana@example.org", cwd=workspace).returncode == 0
    quiet = run_cli("status", "--now", "2011-02-16T12:00-05:00", cwd=workspace)
    assert quiet.returncode == 0, quiet.stderr
    row = next(
        line for line in quiet.stdout.splitlines() if line.startswith("2011-02-26-worcester")
    )
    assert row.split()[-1] == "1"  # Ana, who wanted Worcester, is suppressed
    assert "ana@example.org" not in quiet.stdout
