"""deploy/ as written: the example settings, the systemd units and the cron line all work.

Each recipe file is used as it stands, with only the install paths moved
into a test folder: /opt/reminders (the venv the wheel goes into),
/etc/reminders and /var/lib/reminders.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MEETINGS, ROOT, SUBSCRIBERS
from tests.support.mailsink import SinkServer

DEPLOY = ROOT / "deploy"
UNITS = (
    "reminders.service",
    "reminders-send.service",
    "reminders-send.timer",
    "reminders-web.service",
)
SCRIPT = Path(sys.executable).with_name("reminders")  # the installed console script


def installed(text: str, root: Path) -> str:
    """A recipe's text with the server's paths moved under ``root``."""
    return (
        text.replace("/opt/reminders/bin/reminders", str(SCRIPT))
        .replace("/etc/reminders", str(root / "etc"))
        .replace("/var/lib/reminders", str(root / "var"))
    )


@pytest.fixture
def server(tmp_path: Path) -> Path:
    """The folders section 1 of deploy/README.md makes, with the example settings."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "var").mkdir()
    example = (DEPLOY / "reminders.toml.example").read_text(encoding="utf-8")
    (tmp_path / "etc" / "reminders.toml").write_text(installed(example, tmp_path))
    shutil.copy(MEETINGS, tmp_path / "etc" / "meetings.toml")
    shutil.copy(SUBSCRIBERS, tmp_path / "var" / "subscribers.csv")
    return tmp_path


def test_the_example_settings_pass_check_once_their_paths_exist(server: Path) -> None:
    result = subprocess.run(
        [str(SCRIPT), "--config", str(server / "etc" / "reminders.toml"), "check"],
        cwd=server / "var",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "10 meetings" in result.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="NO systemd-analyze HERE")
@pytest.mark.parametrize("unit", UNITS)
def test_the_systemd_units_verify_with_the_install_path(tmp_path: Path, unit: str) -> None:
    for name in UNITS:
        (tmp_path / name).write_text(
            (DEPLOY / name).read_text().replace("/opt/reminders/bin/reminders", str(SCRIPT))
        )
    assert "/opt/reminders/bin/reminders" in (DEPLOY / "reminders.service").read_text()
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [
        line
        for line in result.stderr.splitlines()
        if unit.split(".")[0] in line and "reminders" in line
    ]
    assert result.returncode == 0, result.stderr
    assert problems == []


def test_the_services_read_their_secrets_from_the_environment_file() -> None:
    for name in ("reminders.service", "reminders-send.service", "reminders-web.service"):
        assert "EnvironmentFile=/etc/reminders/secrets.env" in (DEPLOY / name).read_text()


@pytest.mark.skipif(shutil.which("flock") is None, reason="NO flock HERE (util-linux)")
def test_the_cron_line_hands_the_smtp_password_to_send(server: Path) -> None:
    with SinkServer(password="fake-password-for-cron") as smtp:
        settings = server / "etc" / "reminders.toml"
        text = settings.read_text()
        settings.write_text(
            text.replace(
                'transport = "smtp://reminders@smtp.example.org:587"',
                f'transport = "smtp://reminders@127.0.0.1:{smtp.port}?starttls=off"',
            ).replace("timeout = 30", "timeout = 5")
        )
        # As section 1 installs it: readable by the service's group, not by everyone.
        secrets = server / "etc" / "secrets.env"
        secrets.write_text("REMINDERS_SMTP_PASSWORD=fake-password-for-cron\n")
        secrets.chmod(0o640)
        [line] = [
            line
            for line in (DEPLOY / "crontab").read_text().splitlines()
            if line and not line.startswith("#")
        ]
        command = installed(line.split(maxsplit=5)[5], server)
        # cron runs the line with sh; syslog stands in as a file, and the clock is 2011's.
        command = command.replace("| logger -t reminders", f"> {server / 'syslog'}")
        command = command.replace("--quiet send", "--quiet send --now 2011-02-23T09:05-05:00")
        command = command.replace("--quiet build", "--quiet build --now 2011-02-15T12:00Z")
        result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120)
        log = (server / "syslog").read_text()
        assert result.returncode == 0, log
        assert set(smtp.logins) == {"fake-password-for-cron"}  # send logged in with it
        assert len(smtp.sink.received) == 4, log
        assert "fake-password-for-cron" not in log
