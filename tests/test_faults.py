"""Faults against real processes on 127.0.0.1: nothing lost, at most one repeated."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import NEW_YORK, run_cli, set_setting
from tests.support.mailsink import SinkServer
from tests.support.runs import send_at

WORCESTER = {
    "maria.example@example.org",
    "ana@example.org",
    "sam@example.org",
    "fatima@example.org",
}
FIRST = datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK)


def served(smtp: SinkServer) -> list[str]:
    return sorted(m.recipients[0] for m in smtp.sink.received)


# Replies at each stage of the session: tests/mail/test_smtp_stages.py walks the table.


def test_server_that_hangs_past_the_timeout_loses_nothing(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    settings = mail_workspace / "reminders.toml"
    settings.write_text(settings.read_text().replace("timeout = 5", "timeout = 1"))
    smtp.sink.faults.delay = 1.5
    started = time.monotonic()
    report = send_at(mail_workspace, FIRST)
    assert time.monotonic() - started < 30
    assert report.sent + report.retry == 4
    smtp.sink.faults.delay = 0
    send_at(mail_workspace, FIRST + timedelta(minutes=10))
    send_at(mail_workspace, FIRST + timedelta(minutes=30))
    # A message the server took after we gave up on it may arrive twice; none is lost.
    assert set(served(smtp)) == WORCESTER


def test_locked_state_database_stops_before_sending_with_a_clear_message(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    run_cli("plan", "--now", FIRST.isoformat(), cwd=mail_workspace)  # creates the database
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sqlite3, sys, time\n"
                f"c = sqlite3.connect({str(mail_workspace / 'var' / 'state.db')!r}, "
                "isolation_level=None)\n"
                "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(14)\n"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    result = run_cli("send", "--now", FIRST.isoformat(), cwd=mail_workspace)
    assert result.returncode == 1
    assert "state database" in result.stderr
    assert "locked" in result.stderr
    assert "Traceback" not in result.stderr
    assert smtp.sink.received == []
    holder.wait(timeout=30)
    again = run_cli("send", "--now", (FIRST + timedelta(minutes=1)).isoformat(), cwd=mail_workspace)
    assert again.returncode == 0, again.stderr
    assert served(smtp) == sorted(WORCESTER)


def test_unusable_outbox_stops_the_run_and_keeps_everything_due(workspace: Path) -> None:
    # Tests run as root, for whom permission bits do not bite: a file where the
    # outbox folder should be makes it just as unwritable.
    (workspace / "var").mkdir()
    (workspace / "var" / "outbox").write_text("not a folder")
    result = run_cli("send", "--now", FIRST.isoformat(), cwd=workspace)
    assert result.returncode == 3
    assert "outbox" in result.stderr
    assert "Traceback" not in result.stderr
    (workspace / "var" / "outbox").unlink()
    again = run_cli("send", "--now", (FIRST + timedelta(minutes=1)).isoformat(), cwd=workspace)
    assert "sent 4 of 4 due" in again.stdout


def test_sigkill_at_random_points_over_several_runs_loses_nothing(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    people = {f"p{n:03d}@example.org" for n in range(120)}
    rows = "".join(f"{address},,en,\n" for address in sorted(people))
    (mail_workspace / "data" / "subscribers.example.csv").write_text(
        "email,name,language,cities\n" + rows
    )
    smtp.sink.faults.delay = 0.01
    chance = random.Random(20110223)
    kills = 0
    for run in range(8):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reminders",
                "--quiet",
                "send",
                "--now",
                (FIRST + timedelta(seconds=run)).isoformat(),
            ],
            cwd=mail_workspace,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(chance.uniform(0.6, 1.6))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        if {m.recipients[0] for m in smtp.sink.received} == people:
            break
    final = run_cli("send", "--now", (FIRST + timedelta(minutes=1)).isoformat(), cwd=mail_workspace)
    assert final.returncode == 0, final.stderr
    received = [m.recipients[0] for m in smtp.sink.received]
    assert set(received) == people
    assert kills >= 1
    assert len(received) - len(people) <= kills


def test_state_database_has_wal_and_a_schema_version(mail_workspace: Path) -> None:
    run_cli("plan", "--now", FIRST.isoformat(), cwd=mail_workspace)
    connection = sqlite3.connect(mail_workspace / "var" / "state.db")
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA user_version").fetchone()[0] >= 4
    connection.close()


def test_older_database_is_migrated_and_newer_one_refused(tmp_path: Path) -> None:
    from reminders.store import open_state
    from reminders.store.base import StateError
    from reminders.store.migrations import MIGRATIONS

    path = tmp_path / "state.db"
    old = sqlite3.connect(path, isolation_level=None)
    old.executescript(MIGRATIONS[0].sqlite)
    old.execute("INSERT INTO revision VALUES ('m', 'f', 3, '2011-01-01T00:00:00+00:00')")
    old.execute("PRAGMA user_version = 1")
    old.close()
    migrated = open_state(path)
    assert migrated.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert migrated.execute("SELECT sequence FROM revision").fetchone()[0] == 3
    migrated.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    migrated.close()
    with pytest.raises(StateError, match="newer than this release"):
        open_state(path)


def test_audience_setting_typo_is_caught_before_anything_runs(mail_workspace: Path) -> None:
    set_setting(mail_workspace, '[notices]\naudience = "everybody"')
    result = run_cli("send", "--now", FIRST.isoformat(), cwd=mail_workspace)
    assert result.returncode == 1
    assert "notices.audience" in result.stderr
