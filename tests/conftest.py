"""Shared fixtures: the repository's own data, and small files written per test."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.mailsink import SinkServer, free_port
from tests.support.pgserver import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
# Over a few seconds each: real daemons waiting out ticks, timeouts and locks, and real
# servers (waitress, nginx) started for each test.
SLOW_MODULES = (
    "test_daemon.py",
    "test_faults.py",
    "test_shared_state.py",
    "test_signup.py",
    "test_web.py",
    "test_answers.py",
    "test_season.py",
    "test_crash.py",
    "test_web_signup.py",
    "test_nginx.py",
    "test_survival.py",
    "test_deploy.py",
)


# Each full address in a text: the local part of a masked one ends in "***".
ADDRESS = re.compile(r"([\w.*+-]+)@example\.(?:org|com|net)")
# Where the masking sweep runs: every log record, every level.
SWEPT = (
    "test_smtp_stages.py",
    "test_faults.py",
    "test_sending.py",
    "test_signup.py",
    "test_confirmations.py",
    "test_returns.py",
    "test_season.py",
)


# Each full phone number in E.164 form (a masked one reads "+1 ••• ••• 0100").
NUMBER = re.compile(r"\+\d{8,15}\b")


def full_addresses(text: str) -> list[str]:
    """The addresses and phone numbers in ``text`` that are not masked."""
    found = [m.group(0) for m in ADDRESS.finditer(text) if not m.group(1).endswith("***")]
    return found + NUMBER.findall(text)


@pytest.fixture(autouse=True)
def no_address_in_logs(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """In the swept modules, no log record at any level may show a full address."""
    if Path(str(request.node.fspath)).name not in SWEPT:
        yield
        return
    caplog.set_level(logging.DEBUG)
    yield
    shown = [
        line
        for record in (*caplog.get_records("setup"), *caplog.get_records("call"))
        for line in (record.getMessage(), record.exc_text or "")
        if full_addresses(line)
    ]
    assert shown == [], "full addresses in log records"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what `make check` leaves to `make test`: slow, browser and PostgreSQL tests."""
    for item in items:
        path = Path(str(item.fspath))
        if "postgres" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
        if path.name == "test_browser.py":
            item.add_marker(pytest.mark.browser)
        if path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


SEED = ROOT / "data" / "announcements" / "announcement-2011-02-15.txt"
MEETINGS = ROOT / "data" / "meetings.toml"
SUBSCRIBERS = ROOT / "data" / "subscribers.example.csv"
NEW_YORK = ZoneInfo("America/New_York")

CALENDAR = """\
[calendar]
name = "Test meetings"
timezone = "America/New_York"
domain = "example.org"
"""


@pytest.fixture
def meetings_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write a meetings file: the given [[meeting]] tables under a valid [calendar]."""

    def write(meetings: str, calendar: str = CALENDAR) -> Path:
        path = tmp_path / "meetings.toml"
        path.write_text(calendar + "\n" + meetings, encoding="utf-8")
        return path

    return write


def run_cli(*args: str | Path, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m reminders`` as a user would, in a real subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "reminders", *map(str, args)],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A folder with its own settings file and a copy of the bundled meetings."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "meetings.toml").write_text(MEETINGS.read_text(encoding="utf-8"))
    (tmp_path / "data" / "subscribers.example.csv").write_text(
        SUBSCRIBERS.read_text(encoding="utf-8")
    )
    (tmp_path / "reminders.toml").write_text('base_url = "https://example.org/meetings/"\n')
    return tmp_path


def edit_meetings(workspace: Path, old: str, new: str) -> None:
    """Change the workspace's meetings file by one replacement."""
    path = workspace / "data" / "meetings.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on 127.0.0.1 for the whole run (each test makes its database)."""
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def smtp() -> Iterator[SinkServer]:
    """A real SMTP server on 127.0.0.1 that records what it accepts."""
    with SinkServer() as server:
        yield server


@pytest.fixture
def mail_workspace(workspace: Path, smtp: SinkServer) -> Path:
    """A workspace whose settings send through the test SMTP server."""
    settings = workspace / "reminders.toml"
    settings.write_text(settings.read_text() + f'\n[mail]\ntransport = "{smtp.url}"\ntimeout = 5\n')
    return workspace


def set_setting(workspace: Path, text: str) -> None:
    """Append a new [section] of TOML to the workspace's settings."""
    path = workspace / "reminders.toml"
    path.write_text(path.read_text() + "\n" + text + "\n")


@dataclass
class WebApp:
    """`reminders serve` running on 127.0.0.1 for a workspace."""

    home: Path
    port: int
    smtp: SinkServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


@contextmanager
def serving(home: Path, smtp: SinkServer, *options: str) -> Iterator[WebApp]:
    """`reminders serve` as a real subprocess for ``home``, sending through ``smtp``."""
    port = free_port()
    settings = home / "reminders.toml"
    settings.write_text(
        settings.read_text().replace(
            'base_url = "https://example.org/meetings/"', f'base_url = "http://127.0.0.1:{port}/"'
        )
        + '\n[languages]\nallow_drafts = ["es", "ar"]\n'
    )
    assert run_cli("build", "--now", "2011-02-15T12:00Z", cwd=home).returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "serve", "--port", str(port), *options],
        cwd=home,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    started = [process.stderr.readline() for _ in range(2)]
    assert any(line.startswith("serving") for line in started), started
    try:
        yield WebApp(home=home, port=port, smtp=smtp)
    finally:
        process.terminate()
        _, log = process.communicate(timeout=10)
    assert full_addresses(log) == [], "the server logged a full address"


@pytest.fixture
def web_app(mail_workspace: Path, smtp: SinkServer) -> Iterator[WebApp]:
    """The web application as a real subprocess, sending through the test SMTP server."""
    with serving(mail_workspace, smtp) as app:
        yield app


# The moment the replayed web application sees: the Worcester reminders have gone out.
REPLAY = "2011-02-23T10:00-05:00"


@pytest.fixture
def replay_app(mail_workspace: Path, smtp: SinkServer) -> Iterator[WebApp]:
    """The web application seeing :data:`REPLAY` as now, so 2011's meetings are ahead."""
    with serving(mail_workspace, smtp, "--now", REPLAY) as app:
        yield app
