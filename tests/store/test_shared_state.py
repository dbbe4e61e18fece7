"""Several `reminders run` daemons sharing one PostgreSQL state, as real subprocesses.

Three daemons serve 5,000 recipients through one SMTP server on 127.0.0.1;
one is killed with SIGKILL in the middle of a batch. Every recipient is
served, nothing goes twice but the one message the killed daemon may have
had in flight, and its claims are taken by the others once its lease ends.
"""

from __future__ import annotations

import email
import email.policy
import shutil
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_cli
from tests.support.mailsink import SinkServer, free_port
from tests.support.pgserver import PostgresServer
from tests.test_daemon import CALENDAR, Daemon, meeting, subscribers, wait_for

LEASE = 20  # seconds; more than [mail] timeout (1 s) times [queue] batch (10)


@pytest.fixture
def shared_home(tmp_path: Path, smtp: SinkServer, postgres: PostgresServer) -> Path:
    """Settings for daemons on one PostgreSQL state, each "host" its own folder's files."""
    (tmp_path / "reminders.toml").write_text(
        'subscribers = "subscribers.csv"\n'
        f'meetings = "meetings.toml"\nstate = "{postgres.database()}"\n'
        f'[reminders]\noffsets = ["2 hours"]\n'
        f'[mail]\ntransport = "{smtp.url}"\ntimeout = 1\n'
        f'[queue]\nbatch = 10\nlease = "{LEASE} seconds"\n'
    )
    return tmp_path


@pytest.fixture
def daemons(shared_home: Path) -> Iterator[Callable[[int], list[Daemon]]]:
    started: list[Daemon] = []

    def start(count: int) -> list[Daemon]:
        started.extend(Daemon(shared_home) for _ in range(count))
        return started[-count:]

    yield start
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.stop(signal.SIGKILL)


def state_url(home: Path) -> str:
    text = (home / "reminders.toml").read_text()
    return text.split('state = "')[1].split('"')[0]


def claims_of(url: str, pid: int) -> set[str]:
    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT recipient FROM delivery WHERE claimed_by LIKE %s", (f"%:{pid}",)
        ).fetchall()
    return {row[0] for row in rows}


def test_three_daemons_one_killed_mid_batch_serve_everyone_once(
    shared_home: Path, smtp: SinkServer, daemons: Callable[[int], list[Daemon]]
) -> None:
    (shared_home / "meetings.toml").write_text(
        CALENDAR + meeting("big", "Lowell", timedelta(minutes=5))
    )
    people = subscribers(shared_home, 5000)
    url = state_url(shared_home)
    smtp.sink.faults.delay = 0.01
    victim, *others = daemons(3)
    wait_for(lambda: len(smtp.sink.received) >= 4500, timeout=120)
    deadline = time.monotonic() + 30
    while True:  # kill it mid-batch
        assert time.monotonic() < deadline, "the daemon never held claims"
        # Frozen, it cannot finish its batch between the look and the kill.
        victim.process.send_signal(signal.SIGSTOP)
        if in_hand := claims_of(url, victim.process.pid):
            break
        victim.process.send_signal(signal.SIGCONT)
        time.sleep(0.01)
    victim.stop(signal.SIGKILL)
    killed_at = time.monotonic()
    left_behind = claims_of(url, victim.process.pid)
    assert left_behind, "the daemon was killed holding claims, mid-batch"
    status = run_cli("status", cwd=shared_home)
    assert status.returncode == 0, status.stderr
    assert f":{victim.process.pid}" in status.stdout

    def unsettled() -> int:
        with psycopg.connect(url) as db:
            row = db.execute("SELECT count(*) FROM delivery WHERE status != 'sent'").fetchone()
        return int(row[0]) if row else -1

    def everyone_served() -> bool:
        # The killed daemon's last message may have reached the server unrecorded: its
        # claim lapses after the lease, and another daemon sends it again.
        received = {m.recipients[0] for m in smtp.sink.received}
        return received == people and unsettled() == 0

    wait_for(everyone_served, timeout=LEASE + 60)
    finished_in = time.monotonic() - killed_at
    time.sleep(2)  # a few more ticks: nothing more may go
    per_person = Counter(m.recipients[0] for m in smtp.sink.received)
    twice = {address for address, count in per_person.items() if count > 1}
    assert len(twice) <= 1
    assert twice <= in_hand  # only what the killed daemon had in flight
    assert max(per_person.values()) <= 2
    assert finished_in <= LEASE + 5
    for daemon in others:
        assert daemon.process.poll() is None
        assert daemon.stop() == 0
        log = daemon.text()
        assert "person0001@example.org" not in log
        assert "ERROR" not in log
    assert unsettled() == 0


def test_three_daemons_build_once_and_send_one_change_notice_each(
    shared_home: Path, smtp: SinkServer, daemons: Callable[[int], list[Daemon]]
) -> None:
    meetings = shared_home / "meetings.toml"
    meetings.write_text(CALENDAR + meeting("soon", "Lowell", timedelta(minutes=30)))
    people = subscribers(shared_home, 60)
    running = daemons(3)
    wait_for(lambda: len(smtp.sink.received) == 60)
    meetings.write_text(meetings.read_text().replace("Lowell Library", "Lowell City Hall"))
    wait_for(lambda: len(smtp.sink.received) == 120)
    time.sleep(3)  # several more ticks of each daemon
    notices = [m for m in smtp.sink.received if m.message["Subject"].startswith("Changed:")]
    assert len(smtp.sink.received) == 120
    assert sorted(m.recipients[0] for m in notices) == sorted(people)
    # One SEQUENCE bump for one edit, however many daemons noticed it.
    calendar = (shared_home / "public" / "meetings" / "soon.ics").read_bytes()
    assert b"SEQUENCE:1\r\n" in calendar
    assert b"Lowell City Hall" in calendar
    logs = [daemon.text() for daemon in running]
    assert all(daemon.stop() == 0 for daemon in running)
    assert sum(log.count("public folder:") for log in logs) == 2  # first build, then the edit


def test_check_names_an_unreachable_server_without_its_password(workspace: Path) -> None:
    url = f"postgresql://reminders:hunter2@127.0.0.1:{free_port()}/reminders"
    result = run_cli("check", cwd=workspace, REMINDERS_STATE=url)
    assert result.returncode == 1
    assert "postgresql://reminders@127.0.0.1" in result.stderr
    assert "cannot connect" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_hosts_sharing_a_database_sign_links_alike(
    tmp_path: Path, workspace: Path, postgres: PostgresServer
) -> None:
    """Without $REMINDERS_SECRET the secret lives in the database, not beside a file."""
    other = tmp_path / "other-host"
    shutil.copytree(workspace, other)
    url = postgres.database()
    links = []
    for home in (workspace, other):
        out = home / "preview.eml"
        env = {"REMINDERS_STATE": url, "REMINDERS_SECRET": ""}
        result = run_cli(
            "preview",
            "2011-02-26-worcester",
            "--to",
            "ana@example.org",
            "--out",
            out,
            cwd=home,
            **env,
        )
        assert result.returncode == 0, result.stderr
        message = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
        links.append(message["List-Unsubscribe"])
    assert links[0] == links[1]
    assert "/unsubscribe" in links[0]
    assert not (workspace / "var" / "secret").exists()
    with psycopg.connect(url) as db:
        assert db.execute("SELECT count(*) FROM secret").fetchone() == (1,)


def test_a_second_builder_waits_its_turn(workspace: Path, postgres: PostgresServer) -> None:
    url = postgres.database()
    assert run_cli("build", cwd=workspace, REMINDERS_STATE=url).returncode == 0
    until = (datetime.now(UTC) + timedelta(minutes=5)).isoformat(timespec="seconds")
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("INSERT INTO lease VALUES ('publish', 'other-host:1', %s)", (until,))
    busy = run_cli("build", cwd=workspace, REMINDERS_STATE=url)
    assert busy.returncode == 1
    assert "another process is rebuilding the public folder" in busy.stderr
    assert "Traceback" not in busy.stderr
