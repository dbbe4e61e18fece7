"""Organizers see what texts cost before they go: check, plan and preview."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli, set_setting


def texting(workspace: Path) -> Path:
    set_setting(workspace, '[sms]\ntransport = "file:var/texts"')
    return workspace


def test_check_accepts_the_bundled_texts(workspace: Path) -> None:
    done = run_cli("check", cwd=texting(workspace))
    assert done.returncode == 0, done.stderr


def test_check_fails_a_text_template_longer_than_max_segments(workspace: Path) -> None:
    folder = workspace / "mine" / "sms"
    folder.mkdir(parents=True)
    (folder / "reminder.txt.j2").write_text(
        "{{ city }} meeting {{ day }}, {{ hours }} {{ zone }} at {{ place }}. "
        + "Please come, and bring a friend. " * 5
        + "{{ link }}\n"
    )
    config = workspace / "reminders.toml"
    settings = 'templates = "mine"\n' + config.read_text() + '[sms]\ntransport = "file:t"\n'
    config.write_text(settings)
    done = run_cli("check", cwd=workspace)
    assert done.returncode == 1
    assert done.stderr == (
        "sms/reminder.txt.j2: in en for 2011-03-12-framingham: 3 segments (GSM-7, 312 units), "
        "more than [sms] max_segments = 2\n"
    )  # one line per template and language, naming the first meeting over
    config.write_text(settings + "max_segments = 3\n")
    assert run_cli("check", cwd=workspace).returncode == 0


def test_preview_shows_the_text_and_its_segments(workspace: Path) -> None:
    done = run_cli("preview", "2011-02-26-worcester", "--channel", "sms", cwd=texting(workspace))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "Reminder: Worcester meeting Sat, Feb 26, 2 - 4 PM EST, Worcester Public Library. "
        "https://example.org/meetings/m/2011-02-26-worcester Reply STOP to stop."
    )
    assert "[1 segment, GSM-7, 152 units]" in done.stdout


def test_plan_shows_each_planned_text_s_segments(workspace: Path) -> None:
    done = run_cli(
        "plan", "--now", "2011-02-20T12:00-05:00", "--days", "20", cwd=texting(workspace)
    )
    assert done.returncode == 0, done.stderr
    assert "Texts (segments per message" in done.stdout
    assert "2011-02-26-worcester   reminder  en        1         GSM-7" in done.stdout
