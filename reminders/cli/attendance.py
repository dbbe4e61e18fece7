"""The ``attendance`` command: how many people plan to come, and what they need."""

from __future__ import annotations

import csv
import io

import click

from reminders.attendance import Tally
from reminders.cli.commands import Context, cli, pass_context
from reminders.errors import UsageError
from reminders.inputs.meetings_file import load_series
from reminders.report import attendance_table
from reminders.store import open_state
from reminders.store.attendance import tallies
from reminders.terminal import render_table

__all__ = ["attendance"]


@cli.command()
@click.argument("meeting_id", required=False)
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV (one row per meeting).")
@pass_context
def attendance(context: Context, meeting_id: str | None, as_csv: bool) -> None:
    """Count the answers per meeting (all meetings, or MEETING_ID): never who answered."""
    settings = context.settings()
    series = load_series(settings.meetings)
    meetings = list(series)
    if meeting_id is not None:
        meetings = [m for m in meetings if m.id == meeting_id]
        if not meetings:
            raise UsageError(f"no meeting {meeting_id!r} in {settings.meetings}")
    with open_state(settings.state) as db:
        counts = tallies(db)
    header, rows = attendance_table(meetings, counts)
    if not as_csv:
        click.echo(render_table(header, rows))
        return
    found = [counts.get(m.id, Tally()) for m in meetings]
    languages = sorted({tag for tally in found for tag in tally.interpretation})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [h.lower() for h in header[:-1]]
    writer.writerow([*names, *(f"interpretation:{tag}" for tag in languages)])
    for tally, row in zip(found, rows, strict=True):
        writer.writerow([*row[:-1], *(str(tally.interpretation.get(t, 0)) for t in languages)])
    click.echo(out.getvalue(), nl=False)
