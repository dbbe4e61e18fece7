"""`reminders import`: an announcement's text in, a meetings file out."""

from __future__ import annotations

from pathlib import Path

import click

from reminders.cli.commands import cli
from reminders.errors import DataError, Problem
from reminders.files import write_atomically
from reminders.inputs.announcement import read_announcement, render_meetings_file
from reminders.inputs.meetings_file import zone_named

__all__ = ["import_"]


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
        message = f"cannot read: {error.strerror}"
        raise DataError([Problem(path=announcement, line=None, message=message)]) from None
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
