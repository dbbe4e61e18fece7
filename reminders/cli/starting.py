"""`reminders init`: a new series' folder, as an organizer starts one.

It writes a ``reminders.toml`` that lists every setting with its default and
meaning (from the one settings spec), a ``meetings.toml`` with one example
meeting to edit, and a ``subscribers.csv`` with its header; it never
overwrites a file, and says what to run next.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from reminders.cli.commands import cli
from reminders.errors import UsageError
from reminders.files import write_atomically
from reminders.inputs.subscribers import COLUMNS
from reminders.settings import SETTINGS

__all__ = ["init", "settings_text"]

MEETINGS = """\
# The meetings of this series. Edit this example, add a [[meeting]] table for each
# meeting, then run `reminders check`. Every field is described in the README
# ("The meetings file"); times are local wall-clock times in the calendar's timezone.

[calendar]
name = "Community meetings"
timezone = "America/New_York"
domain = "example.org"             # your organization's domain: makes event ids unique
organizer = "Organizers <meetings@example.org>"

[[meeting]]
id = "{day}-springfield"           # stable forever: the calendar entries are keyed on it
city = "Springfield"
date = {day}
start = "18:00"
end = "20:00"
venue = "TBD"                      # no reminder goes out while the venue is to be decided
address = ""
interpretation = ["es"]
childcare = true
"""


def _toml(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def settings_text() -> str:
    """A ``reminders.toml`` listing every key at its default, each with what it means."""
    lines = [
        "# Settings of this series (every key shows its default; see the README,",
        '# "Configuration"). Paths are relative to this file. Secrets never go here:',
        "# the SMTP password comes from $REMINDERS_SMTP_PASSWORD.",
        "",
        'meetings = "meetings.toml"',
        'subscribers = "subscribers.csv"',
    ]
    section = ""
    for entry in SETTINGS:
        if (entry.section, entry.key) in (("", "meetings"), ("", "subscribers")):
            continue
        if entry.section != section:
            section = entry.section
            lines += ["", f"[{section}]"]
        lines += [f"# {entry.description}", f"{entry.key} = {_toml(entry.default)}"]
    return "\n".join(lines) + "\n"


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default=".")
def init(folder: Path) -> None:
    """Start a new series in FOLDER: settings, an example meeting, a subscribers file."""
    # The example meeting is a month ahead, so `plan` shows its windows at once.
    day = (datetime.now().astimezone().date() + timedelta(days=30)).isoformat()
    files = {
        "reminders.toml": settings_text(),
        "meetings.toml": MEETINGS.format(day=day),
        "subscribers.csv": ",".join(COLUMNS) + "\n",
    }
    existing = [name for name in files if (folder / name).exists()]
    if existing:
        names = ", ".join(existing)
        raise UsageError(f"{folder}: {names} already there; nothing was written")
    for name, text in files.items():
        write_atomically(folder / name, text, mode=0o600 if name.endswith(".csv") else 0o644)
    click.echo(f"Started a series in {folder}. Next:")
    for step in ("reminders check", "reminders build", "reminders serve"):
        click.echo(f"  cd {folder} && {step}" if str(folder) != "." else f"  {step}")
