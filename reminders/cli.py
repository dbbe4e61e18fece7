"""The command line: parse arguments, call one core function, print its result.

Every :class:`~reminders.errors.ReminderError` is shown here as a message on
stderr with its exit code; no other module prints or exits.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from reminders import __version__
from reminders.announcement import read_announcement, render_meetings_file
from reminders.errors import DataError, Problem, ReminderError
from reminders.files import write_atomically
from reminders.meetings import load_series, zone_named
from reminders.tables import meeting_rows, render_table

__all__ = ["cli", "main"]

MEETING_HEADER = ("Date", "Time", "City", "Venue", "Status")


class _Group(click.Group):
    """A command group that shows our errors as messages, never tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ReminderError as error:
            click.echo(str(error), err=True)
            ctx.exit(error.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reminders")
def cli() -> None:
    """Publish a meeting series as a calendar feed and send reminder emails."""


@cli.command()
@click.option(
    "--meetings",
    "meetings_path",
    type=click.Path(path_type=Path),
    default=Path("data/meetings.toml"),
    show_default=True,
    help="The meetings file to check.",
)
def check(meetings_path: Path) -> None:
    """Validate the meetings file and print its meetings."""
    series = load_series(meetings_path)
    click.echo(f"{series.name}: {len(series)} meetings")
    click.echo(render_table(MEETING_HEADER, meeting_rows(series)))


@cli.command(name="import")
@click.argument("announcement", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--year",
    type=click.IntRange(1900, 2999),
    help="Year of the meetings (default: the announcement's dateline).",
)
@click.option(
    "--timezone",
    "timezone",
    default="America/New_York",
    show_default=True,
    help="IANA timezone of the meetings' local times.",
)
@click.option(
    "--domain",
    default="example.org",
    show_default=True,
    help="Domain that makes event UIDs unique.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the meetings file here instead of to stdout.",
)
def import_(
    announcement: Path, year: int | None, timezone: str, domain: str, out: Path | None
) -> None:
    """Read an announcement's meetings into a meetings file."""
    try:
        zone_named(timezone)
        text = announcement.read_text(encoding="utf-8")
    except ValueError as error:
        raise DataError([Problem(path="--timezone", line=None, message=str(error))]) from None
    except OSError as error:
        raise DataError(
            [Problem(path=announcement, line=None, message=f"cannot read: {error}")]
        ) from None
    result = read_announcement(text, announcement, year)
    if result.problems:
        raise DataError(result.problems)
    if not result.meetings:
        raise DataError([Problem(path=announcement, line=None, message="no meeting lines found")])
    rendered = render_meetings_file(result, timezone, domain, announcement.name)
    if out is None:
        click.echo(rendered, nl=False)
    else:
        write_atomically(out, rendered)
        click.echo(f"wrote {len(result.meetings)} meetings to {out}", err=True)


def main() -> None:
    """Run the command line."""
    cli(prog_name="reminders")
    sys.exit(0)
