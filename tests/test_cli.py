"""The command line as a user runs it: real subprocesses, exit codes, stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from reminders.inputs.meetings_file import load_series
from tests.conftest import MEETINGS, SEED, run_cli

# case: (text in data/meetings.toml, its replacement, the line the message must name
# (the first line of the edited file holding this text), the message)
BAD_INPUTS = {
    "unknown timezone": (
        'timezone = "America/New_York"',
        'timezone = "America/Nowhere"',
        "America/Nowhere",
        "unknown timezone 'America/Nowhere'",
    ),
    "impossible date": (
        "date = 2011-02-26",
        "date = 2011-02-30",
        "2011-02-30",
        "not valid TOML: impossible date 2011-02-30",
    ),
    "end before start": (
        'end = "16:00"',
        'end = "13:00"',
        "13:00",
        "meeting '2011-02-26-worcester': end 13:00 is not after start 14:00",
    ),
    "duplicate id": (
        'id = "2011-03-12-framingham"',
        'id = "2011-02-26-worcester"  # dup',
        "# dup",
        "duplicate meeting id '2011-02-26-worcester' (first used on line",
    ),
    "missing field": (
        'city = "Worcester"\n',
        "",
        "[[meeting]]",
        "meeting '2011-02-26-worcester': missing field 'city'",
    ),
    "unknown field": (
        'venue = "Worcester Public Library"',
        'venu = "Worcester Public Library"',
        "venu =",
        "meeting '2011-02-26-worcester': unknown field 'venu' (did you",
    ),
    "time that does not exist": (
        'date = 2011-03-12\nstart = "14:00"',
        'date = 2011-03-13\nstart = "02:30"',
        "02:30",
        "meeting '2011-03-12-framingham': start 02:30 on 2011-03-13 "
        "does not exist in America/New_York",
    ),
    "time that exists twice": (
        'date = 2011-03-12\nstart = "14:00"',
        'date = 2011-11-06\nstart = "01:30"',
        "01:30",
        "meeting '2011-03-12-framingham': start 01:30 on 2011-11-06 "
        "happens twice in America/New_York",
    ),
    "malformed TOML": (
        'city = "Worcester"',
        'city = "Worcester',
        'city = "Worcester',
        "not valid TOML",
    ),
}


def test_check_prints_the_ten_meetings_with_seven_tbd() -> None:
    result = run_cli("check")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if " 2011-" in line]
    assert len(rows) == 10
    assert sum(" TBD " in row for row in rows) == 7
    assert rows[0].split()[:3] == ["Sat", "2011-02-26", "14:00-16:00"]
    assert rows[-1].split()[:4] == ["Sat", "2011-07-09", "12:00-14:00", "EDT"]


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gets_message_with_line_and_exit_1(tmp_path: Path, case: str) -> None:
    old, new, marker, message = BAD_INPUTS[case]
    text = MEETINGS.read_text(encoding="utf-8")
    assert old in text
    edited = text.replace(old, new, 1)
    line = next(n for n, row in enumerate(edited.splitlines(), 1) if marker in row)
    path = tmp_path / "meetings.toml"
    path.write_text(edited, encoding="utf-8")
    result = run_cli("check", "--meetings", path)
    assert result.returncode == 1
    assert f"{path}:{line}: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_missing_meetings_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("check", "--meetings", tmp_path / "nope.toml")
    assert result.returncode == 1
    assert result.stderr.strip() == f"{tmp_path / 'nope.toml'}: file not found"


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (("preview", "2011-02-23-worcester"), "--offset"),
        (("simulate", "--from", "2011-02-20T00:00Z", "--to", "2011-02-21T00:00Z"), "--step"),
    ],
)
def test_a_span_that_is_no_duration_is_a_usage_error(command: tuple[str, ...], option: str) -> None:
    for text, complaint in (
        ("banana", "is not a duration"),
        ("0 days", "must be longer than zero"),
    ):
        result = run_cli(*command, option, text)
        assert result.returncode == 2
        assert f"Invalid value for '{option}': '{text}' {complaint}" in result.stderr
        assert "Traceback" not in result.stderr


def test_import_of_the_seed_reproduces_the_bundled_meetings(tmp_path: Path) -> None:
    out = tmp_path / "imported.toml"
    result = run_cli("import", SEED, "--out", out)
    assert result.returncode == 0, result.stderr
    imported, bundled = load_series(out), load_series(MEETINGS)

    def key(m: object) -> tuple[object, ...]:
        return tuple(
            getattr(m, f)
            for f in ("id", "city", "start", "end", "venue", "room", "address", "status")
        )

    assert [key(m) for m in imported] == [key(m) for m in bundled]


def test_import_to_stdout_matches_import_to_file(tmp_path: Path) -> None:
    out = tmp_path / "imported.toml"
    run_cli("import", SEED, "--out", out)
    assert run_cli("import", SEED).stdout == out.read_text(encoding="utf-8")


def test_import_reports_unreadable_lines_and_writes_nothing(tmp_path: Path) -> None:
    announcement = tmp_path / "a.txt"
    announcement.write_text(
        "3/1/2011 BOSTON\n\nSalem: Library, Friday, March 4, 6-8pm\n"
        "Quincy: Saturday, March 5, all afternoon\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.toml"
    result = run_cli("import", announcement, "--out", out)
    assert result.returncode == 1
    assert f"{announcement}:4: cannot read meeting" in result.stderr
    assert not out.exists()


def test_import_with_unknown_timezone_is_refused(tmp_path: Path) -> None:
    result = run_cli("import", SEED, "--timezone", "Moon/Base")
    assert result.returncode == 1
    assert "unknown timezone 'Moon/Base'" in result.stderr
    assert "Traceback" not in result.stderr


def test_console_script_and_module_agree(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    script = Path(sys.executable).parent / "reminders"
    if not script.exists():
        script = Path(shutil.which("reminders") or "reminders")
    via_script = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert via_script.stdout == run_cli("--version").stdout
    assert "reminders" in via_script.stdout


def test_init_writes_settings_that_say_every_default(tmp_path: Path) -> None:
    from dataclasses import replace

    from reminders.settings import load_settings

    result = run_cli("init", str(tmp_path / "new"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = load_settings(tmp_path / "new" / "reminders.toml", tmp_path / "new")
    defaults = load_settings(None, tmp_path / "new")
    assert (
        replace(written, source=None, meetings=defaults.meetings, subscribers=defaults.subscribers)
        == defaults
    )
    assert (tmp_path / "new" / "subscribers.csv").read_text() == "email,name,language,cities\n"
    assert (tmp_path / "new" / "subscribers.csv").stat().st_mode & 0o777 == 0o600
