"""`reminders run` as a real subprocess: ticks, restarts, SIGTERM, SIGKILL, bad edits."""

from __future__ import annotations

import mailbox
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from reminders.publish.pieces import Pieces, pieces_file
from tests.conftest import NEW_YORK, run_cli
from tests.mail.test_returns import returned, sent_to
from tests.support.mailsink import SinkServer

CALENDAR = """\
[calendar]
name = "Daemon test"
timezone = "America/New_York"
domain = "example.org"
"""


def meeting(meeting_id: str, city: str, starts_in: timedelta) -> str:
    """A [[meeting]] table starting ``starts_in`` from now, in real time, to the second."""
    start = (datetime.now(NEW_YORK) + starts_in).replace(microsecond=0)
    end = start + timedelta(hours=1)
    lines = [
        "[[meeting]]",
        f'id = "{meeting_id}"',
        f'city = "{city}"',
        f"date = {start.date()}",
        f"start = {start:%H:%M:%S}",
        f"end = {end:%H:%M:%S}",
        f'venue = "{city} Library"',
    ]
    if end.date() != start.date():
        lines.append(f"end_date = {end.date()}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def daemon_home(tmp_path: Path, smtp: SinkServer) -> Path:
    """A folder with settings for the daemon: a 2-hour offset, the test SMTP server."""
    (tmp_path / "reminders.toml").write_text(
        'subscribers = "subscribers.csv"\n'
        f'meetings = "meetings.toml"\n[reminders]\noffsets = ["2 hours"]\n'
        f'[mail]\ntransport = "{smtp.url}"\ntimeout = 5\n'
    )
    return tmp_path


def subscribers(home: Path, count: int, city: str = "") -> set[str]:
    addresses = {f"person{n:04d}@example.org" for n in range(count)}
    rows = "".join(f"{a},,en,{city}\n" for a in sorted(addresses))
    (home / "subscribers.csv").write_text("email,name,language,cities\n" + rows)
    return addresses


class Daemon:
    """One `reminders run` process and its stderr."""

    def __init__(self, home: Path, every: float = 0.5) -> None:
        self.log = home / f"daemon-{time.monotonic_ns()}.log"
        self.handle = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reminders", "run", "--every", str(every)],
            cwd=home,
            stderr=self.handle,
            stdout=subprocess.DEVNULL,
            env=os.environ.copy(),
        )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout=15)
        self.handle.close()
        return code

    def text(self) -> str:
        return self.log.read_text()


@pytest.fixture
def start_daemon(daemon_home: Path) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(**options: float) -> Daemon:
        started.append(Daemon(daemon_home, **options))
        return started[-1]

    yield start
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.stop(signal.SIGKILL)


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def test_reminder_arrives_once_sigterm_exits_0_and_restart_sends_nothing(
    daemon_home: Path, smtp: SinkServer, start_daemon: Callable[..., Daemon]
) -> None:
    (daemon_home / "meetings.toml").write_text(
        CALENDAR + meeting("soon", "Lowell", timedelta(minutes=5))
    )
    people = subscribers(daemon_home, 3)
    daemon = start_daemon()
    wait_for(lambda: len(smtp.sink.received) == 3)
    time.sleep(1.5)  # a few more ticks
    assert daemon.stop() == 0
    assert {m.recipients[0] for m in smtp.sink.received} == people
    assert "daemon stopped" in daemon.text()
    again = start_daemon()
    time.sleep(3)
    assert again.stop() == 0
    assert len(smtp.sink.received) == 3


def test_a_daemon_stopped_right_after_a_build_leaves_the_build_s_pieces_kept(
    daemon_home: Path, start_daemon: Callable[..., Daemon]
) -> None:
    (daemon_home / "meetings.toml").write_text(
        CALENDAR + meeting("later", "Lowell", timedelta(days=20))
    )
    subscribers(daemon_home, 1)
    daemon = start_daemon(every=3600)  # one tick, which builds: no idle tick to write them
    wait_for(lambda: "daemon started" in daemon.text() and (daemon_home / "public").is_dir())
    assert daemon.stop() == 0
    kept = Pieces.load(pieces_file(daemon_home / "public")).kept
    assert len(kept) == 2  # the meeting's event and its article


def test_each_tick_reads_the_bounce_mailbox_the_settings_name(
    daemon_home: Path, smtp: SinkServer, start_daemon: Callable[..., Daemon]
) -> None:
    settings = daemon_home / "reminders.toml"
    settings.write_text(settings.read_text() + '[bounces]\nmaildir = "bounces"\n')
    box = mailbox.Maildir(daemon_home / "bounces", create=True)
    (daemon_home / "meetings.toml").write_text(
        CALENDAR + meeting("soon", "Lowell", timedelta(minutes=5))
    )
    subscribers(daemon_home, 2)
    daemon = start_daemon()
    wait_for(lambda: len(smtp.sink.received) == 2)
    gone = "person0000@example.org"
    box.add(returned("postfix-hard.eml", sent_to(daemon_home, gone), gone))
    wait_for(lambda: "bounces: 1 read, 1 addresses suppressed" in daemon.text())
    assert daemon.stop() == 0
    assert "p***@example.org  bounced" in run_cli("suppressions", cwd=daemon_home).stdout
    assert gone not in daemon.text()


def test_sigterm_mid_batch_records_the_message_in_flight_before_it_says_stopped(
    daemon_home: Path, smtp: SinkServer, start_daemon: Callable[..., Daemon]
) -> None:
    (daemon_home / "meetings.toml").write_text(
        CALENDAR + meeting("soon", "Lowell", timedelta(minutes=5))
    )
    subscribers(daemon_home, 200)
    smtp.sink.faults.delay = 0.05  # each message takes a while: SIGTERM lands mid-batch
    daemon = start_daemon()
    wait_for(lambda: len(smtp.sink.received) >= 20)
    assert daemon.stop() == 0
    delivered = len(smtp.sink.received)
    assert delivered < 200
    log = daemon.text()
    assert log.rstrip().endswith("INFO reminders.daemon: daemon stopped")
    # Every message the server took is in the ledger: a restart sends only the others.
    status = run_cli("status", cwd=daemon_home)
    row = next(line for line in status.stdout.splitlines() if line.startswith("soon"))
    assert row.split()[1] == str(delivered)


def test_second_daemon_on_the_same_state_exits_at_once(
    daemon_home: Path, start_daemon: Callable[..., Daemon]
) -> None:
    (daemon_home / "meetings.toml").write_text(CALENDAR)
    subscribers(daemon_home, 1)
    first = start_daemon()
    wait_for(lambda: (daemon_home / "var" / "state.db.lock").exists())
    time.sleep(0.5)
    second = run_cli("run", "--every", "1", cwd=daemon_home)
    assert second.returncode == 1
    assert "in use by another `reminders run`" in second.stderr
    assert first.process.poll() is None
    assert first.stop() == 0


def test_sigkill_mid_batch_loses_nothing_and_repeats_at_most_one(
    daemon_home: Path, smtp: SinkServer, start_daemon: Callable[..., Daemon]
) -> None:
    (daemon_home / "meetings.toml").write_text(
        CALENDAR + meeting("big", "Lowell", timedelta(minutes=5))
    )
    people = subscribers(daemon_home, 500)
    smtp.sink.faults.delay = 0.01
    first = start_daemon()
    wait_for(lambda: len(smtp.sink.received) >= 150)
    first.stop(signal.SIGKILL)
    killed_at = len(smtp.sink.received)
    assert killed_at < 500
    smtp.sink.faults.delay = 0.0
    second = start_daemon()
    wait_for(lambda: {m.recipients[0] for m in smtp.sink.received} == people, timeout=60)
    assert second.stop() == 0
    assert len(smtp.sink.received) <= 501


def test_broken_meetings_file_is_logged_last_good_data_keeps_sending_fix_is_picked_up(
    daemon_home: Path, smtp: SinkServer, start_daemon: Callable[..., Daemon]
) -> None:
    meetings = daemon_home / "meetings.toml"
    # "later" opens its 2-hour window 20 s from now, while the file will be broken.
    good = (
        CALENDAR
        + meeting("now", "Lowell", timedelta(minutes=5))
        + meeting("later", "Salem", timedelta(hours=2, seconds=20))
    )
    meetings.write_text(good)
    subscribers(daemon_home, 2)
    daemon = start_daemon()
    wait_for(lambda: len(smtp.sink.received) == 2)
    meetings.write_text(good.replace('city = "Lowell"', 'city = "Lowell'))
    wait_for(lambda: "invalid input, keeping the last good version" in daemon.text())
    assert "meetings.toml:" in daemon.text()
    wait_for(lambda: len(smtp.sink.received) == 4, timeout=40)
    assert {m.message["Subject"].split(" meeting")[0] for m in smtp.sink.received} == {
        "Reminder: Lowell",
        "Reminder: Salem",
    }
    meetings.write_text(good + meeting("fixed", "Quincy", timedelta(minutes=7)))
    wait_for(lambda: len(smtp.sink.received) == 6)
    assert daemon.stop() == 0
    log = daemon.text()
    assert "person0000@example.org" not in log
    assert "p***@example.org" in log
    assert all(line.split(" ", 1)[0] in ("INFO", "WARNING", "ERROR") for line in log.splitlines())
