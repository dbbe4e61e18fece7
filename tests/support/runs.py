"""Run the units of work on a workspace as the commands do, at a chosen moment."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reminders.cli import work
from reminders.publish.site import BuildResult
from reminders.sending import SendReport
from reminders.settings import Settings, load_settings

__all__ = ["build_at", "send_at", "settings_of"]


def settings_of(home: Path) -> Settings:
    """The settings of a workspace (its ``reminders.toml``)."""
    return load_settings(home / "reminders.toml", home)


def send_at(home: Path, moment: datetime) -> SendReport:
    """`reminders send --now MOMENT` in the workspace, in this process."""
    return work.send(settings_of(home), moment)


def build_at(home: Path, moment: datetime) -> BuildResult:
    """`reminders build --now MOMENT` in the workspace, in this process."""
    return work.build(settings_of(home), moment)
