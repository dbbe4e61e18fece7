"""The wheel, installed into a fresh virtual environment, works far from the checkout.

Built from this checkout, installed with no access to it, and run from an
empty folder with a settings file that names only the data: check, build,
send and serve work with the bundled templates and catalogs, and a Spanish
draft allowed in the settings gives Spanish pages, feed and email.
"""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import MEETINGS, ROOT
from tests.support.mailsink import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel (its dependencies lent by the test's own venv)."""
    home = tmp_path_factory.mktemp("installed")
    wheels = home / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = wheels.glob("reminders-*.whl")
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dependencies come from this test's environment; the tool itself only from the wheel.
    (site / "lent-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return venv


def run(venv: Path, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "REMINDERS_CONFIG")}
    return subprocess.run(
        [str(venv / "bin" / "python"), "-m", "reminders", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def series(tmp_path: Path) -> Path:
    """An unrelated empty folder with the data and a settings file naming only the data."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "meetings.toml").write_text(MEETINGS.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "people.csv").write_text(
        "email,name,language,cities\nmaria.example@example.org,María,es,Worcester\n"
        "sam@example.org,Sam,en,Worcester\n",
        encoding="utf-8",
    )
    (folder / "reminders.toml").write_text(
        'meetings = "meetings.toml"\nsubscribers = "people.csv"\nstate = "state/state.db"\n'
        'public = "site"\nbase_url = "https://example.org/m/"\n'
        '[languages]\nallow_drafts = ["es"]\n',
        encoding="utf-8",
    )
    return folder


def test_the_wheel_is_imported_from_its_own_environment(installed: Path, series: Path) -> None:
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import reminders; print(reminders.__file__)"],
        cwd=series,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(installed))


def test_check_build_send_and_serve_work_installed(installed: Path, series: Path) -> None:
    checked = run(installed, series, "check")
    assert checked.returncode == 0, checked.stderr
    built = run(installed, series, "build", "--now", "2011-02-15T12:00-05:00")
    assert built.returncode == 0, built.stderr
    spanish = (series / "site" / "index.es.html").read_text(encoding="utf-8")
    assert '<html lang="es"' in spanish
    assert "Worcester" in spanish
    assert "SUMMARY" in (series / "site" / "meetings.es.ics").read_text(encoding="utf-8")
    sent = run(installed, series, "send", "--now", "2011-02-23T09:05-05:00")
    assert sent.returncode == 0, sent.stderr
    assert "sent 2 of 2 due" in sent.stdout
    assert (series / "state").stat().st_mode & 0o777 == 0o700
    outbox = series / "var" / "outbox" / "new"
    messages = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in outbox.iterdir()
    ]
    languages = sorted(str(m["Content-Language"]) for m in messages)
    assert languages == ["en", "es"]
    port = free_port()
    server = subprocess.Popen(
        [str(installed / "bin" / "python"), "-m", "reminders", "serve", "--port", str(port)],
        cwd=series,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/subscribe?lang=es") as page:
                    body = page.read().decode("utf-8")
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert 'name="csrf"' in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/style.css") as style:
            assert style.status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_init_then_check_and_build_in_the_installed_tool(installed: Path, tmp_path: Path) -> None:
    started = run(installed, tmp_path, "init", "my-series")
    assert started.returncode == 0, started.stderr
    assert "reminders check" in started.stdout
    series = tmp_path / "my-series"
    for command in (["check"], ["build"], ["plan", "--days", "40"]):
        result = run(installed, series, *command)
        assert result.returncode == 0, (command, result.stderr)
    assert (series / "public" / "meetings.ics").is_file()
    again = run(installed, tmp_path, "init", "my-series")
    assert again.returncode == 1
    assert "nothing was written" in again.stderr
