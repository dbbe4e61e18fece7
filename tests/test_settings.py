"""The operator settings file: defaults, relative paths, precedence, errors with lines."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import time, timedelta
from pathlib import Path

import pytest

from reminders.errors import ConfigError
from reminders.settings import find_settings, load_settings
from tests.conftest import ROOT, run_cli


def test_without_a_file_every_default_works_from_the_current_folder(tmp_path: Path) -> None:
    settings = load_settings(None, tmp_path)
    assert settings.meetings == tmp_path / "data" / "meetings.toml"
    assert settings.state == tmp_path / "var" / "state.db"
    assert settings.public == tmp_path / "public"
    assert settings.base_url == "http://localhost:8000/"
    assert settings.reminders.offsets == (timedelta(days=3),)
    assert settings.reminders.send_time == time(9)
    assert settings.feed.refresh == timedelta(hours=6)


def test_paths_are_relative_to_the_settings_file(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "reminders.toml"
    config.parent.mkdir()
    config.write_text('meetings = "../m.toml"\nstate = "/srv/state.db"\n')
    settings = load_settings(config, Path("/elsewhere"))
    assert settings.meetings == tmp_path / "m.toml"
    assert settings.state == Path("/srv/state.db")


def test_base_url_gets_its_trailing_slash(tmp_path: Path) -> None:
    config = tmp_path / "reminders.toml"
    config.write_text('base_url = "https://example.org/meetings"\n')
    assert load_settings(config, tmp_path).base_url == "https://example.org/meetings/"


def test_option_beats_environment_beats_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "reminders.toml").write_text("")
    monkeypatch.delenv("REMINDERS_CONFIG", raising=False)
    assert find_settings(None, tmp_path) == tmp_path / "reminders.toml"
    monkeypatch.setenv("REMINDERS_CONFIG", "/from/env.toml")
    assert find_settings(None, tmp_path) == Path("/from/env.toml")
    assert find_settings(Path("/from/option.toml"), tmp_path) == Path("/from/option.toml")


def test_no_file_anywhere_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REMINDERS_CONFIG", raising=False)
    assert find_settings(None, tmp_path) is None


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('meetngs = "x.toml"\n', 1, "unknown key 'meetngs' (did you mean 'meetings'?)"),
        ('[reminders]\noffset = ["3 days"]\n', 2, "unknown [reminders] key 'offset'"),
        ('[feed]\nrefresh = "6 hours"\n', 2, "feed.refresh: '6 hours' is not an RFC 5545"),
        ('[feed]\nrefresh = "PT1M"\n', 2, "too short"),
        ('base_url = "ftp://example.org/"\n', 1, "base_url: 'ftp://example.org/' must be"),
        ('[reminders]\noffsets = ["3 dayz"]\n', 2, "reminders.offsets: '3 dayz' is not a dur"),
        ('[reminders]\nsend_time = "9"\n', 2, "reminders.send_time: '9' is ambiguous"),
        ('[notices]\naudience = "everyone"\n', 2, "notices.audience: must be one of"),
        ("[mail]\nmax_per_minute = -5\n", 2, "mail.max_per_minute: must be a whole number"),
        ("state = \n", 1, "not valid TOML"),
        ('state = "mysql://db/x"\n', 1, "'mysql' is not a state store"),
        ('[queue]\nbatch = 20\nlease = "10 minutes"\n', 3, "must be longer than [mail] timeout"),
        ("[queue]\nbatch = 0\n", 2, "queue.batch: must be a whole number from 1 to 1,000,000"),
        ("[mail]\ntimeout = 4320000000000\n", 2, "mail.timeout: must be a whole number from 1"),
    ],
)
def test_bad_settings_are_named_with_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    config = tmp_path / "reminders.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(config, tmp_path)
    [problem] = caught.value.problems
    assert problem.line == line
    assert message in problem.message


def test_bundled_settings_file_is_valid_and_matches_the_defaults() -> None:
    bundled = load_settings(ROOT / "reminders.toml", ROOT)
    defaults = load_settings(None, ROOT)
    assert replace(bundled, source=None) == defaults


def test_cli_reports_a_bad_settings_file_without_traceback(tmp_path: Path) -> None:
    config = tmp_path / "reminders.toml"
    config.write_text("[mail]\nfrom = 5\n")
    result = run_cli("--config", config, "check")
    assert result.returncode == 1
    assert f"{config}:2: mail.from: must be a non-empty string" in result.stderr
    assert "Traceback" not in result.stderr


def test_environment_variable_selects_the_settings_file(tmp_path: Path) -> None:
    config = tmp_path / "reminders.toml"
    config.write_text(
        f'meetings = "{ROOT / "data" / "meetings.toml"}"\n'
        f'subscribers = "{ROOT / "data" / "subscribers.example.csv"}"\n'
    )
    result = run_cli("check", cwd=tmp_path, REMINDERS_CONFIG=str(config))
    assert result.returncode == 0, result.stderr
    assert "10 meetings" in result.stdout


def test_state_names_a_file_or_a_postgresql_server(tmp_path: Path) -> None:
    config = tmp_path / "reminders.toml"
    config.write_text('state = "postgresql://reminders@db.example.org/reminders"\n')
    assert (
        load_settings(config, tmp_path).state == "postgresql://reminders@db.example.org/reminders"
    )
    config.write_text('state = "var/state.db"\n')
    assert load_settings(config, tmp_path).state == tmp_path / "var" / "state.db"


def test_environment_supplies_the_state_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMINDERS_STATE", "postgresql://reminders@db.example.org/reminders")
    assert load_settings(None, tmp_path).state == "postgresql://reminders@db.example.org/reminders"
    monkeypatch.setenv("REMINDERS_STATE", "redis://db.example.org")
    with pytest.raises(ConfigError) as caught:
        load_settings(None, tmp_path)
    assert str(caught.value.problems[0]).startswith("$REMINDERS_STATE: 'redis' is not")


def test_the_server_example_settings_are_valid() -> None:
    example = ROOT / "deploy" / "reminders.toml.example"
    settings = load_settings(example, example.parent)
    needed = timedelta(seconds=settings.mail.timeout * settings.queue.batch)
    assert settings.queue.lease > needed


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("from", "not an address", "is not an address such as 'Name <a@example.org>'"),
        ("reply_to", "nobody@", "is not an address"),
        ("from", "Coalition <meetings@[example.org>", "is not an address"),
        ("reply_to", "organizers@localhost", "is not an address"),
        ("transport", "ftp://example.org", "use maildir:PATH, smtp://host or smtps://host"),
    ],
)
def test_check_names_a_bad_mail_setting_with_file_and_line(
    workspace: Path, key: str, value: str, message: str
) -> None:
    config = workspace / "reminders.toml"
    config.write_text(config.read_text() + f'\n[mail]\ntimeout = 5\n{key} = "{value}"\n')
    line = len(config.read_text().splitlines())
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 1
    assert f"reminders.toml:{line}: mail.{key}: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_base_url_is_named_with_its_line(workspace: Path) -> None:
    config = workspace / "reminders.toml"
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 0, result.stderr
    config.write_text(config.read_text().replace("https://example.org/meetings/", "example.org"))
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 1
    line = 1 + config.read_text().splitlines().index('base_url = "example.org"')
    assert f"reminders.toml:{line}: base_url: 'example.org' must be an http(s) URL" in result.stderr


def test_late_venue_before_reaches_the_schedule(tmp_path: Path) -> None:
    from reminders.sending import schedule

    config = tmp_path / "reminders.toml"
    config.write_text('[notices]\nlate_venue_before = "3 days"\n')
    assert schedule(load_settings(config, tmp_path)).late_venue_before == timedelta(days=3)


def test_check_warns_of_a_draft_allowed_without_a_catalog(workspace: Path) -> None:
    config = workspace / "reminders.toml"
    config.write_text(config.read_text() + '\n[languages]\nallow_drafts = ["es", "fr"]\n')
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "allow_drafts names 'fr', which has no catalog" in result.stderr
    assert "'es'" not in result.stderr


def test_texts_through_twilio_need_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "reminders.toml"
    config.write_text('[sms]\nprovider = "twilio"\nfrom = "+16175550100"\n')
    assert load_settings(config, tmp_path).sms.enabled
    monkeypatch.setitem(sys.modules, "twilio", None)  # as where the extra is not installed
    with pytest.raises(ConfigError) as caught:
        load_settings(config, tmp_path)
    [problem] = caught.value.problems
    assert problem.line == 2
    assert "pip install 'reminders[sms]'" in problem.message
