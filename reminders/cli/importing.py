"""`reminders import`: an announcement's text in, a meetings file out."""

from __future__ import annotations

from pathlib import Path

import click

from reminders.cli.commands import cli
from reminders.errors import DataError, Problem
from reminders.files import write_atomically
from reminders.inputs.meetings_file import zone_named

__all__ = ["import_"]

# The importer's default zone; a calendar file's own zone wins over it.
DEFAULT_ZONE = "America/New_York"


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
    default=DEFAULT_ZONE,
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
@click.option("--name", help="The series' name (default: the announcement's headline).")
@click.option(
    "--partial",
    is_flag=True,
    help="Write the meetings that could be read even if some could not (they are reported).",
)
def import_(
    announcement: Path,
    year: int | None,
    timezone: str,
    domain: str,
    out: Path | None,
    name: str | None,
    partial: bool,
) -> None:
    """Read an announcement's meetings into a meetings file.

    Reads a press release, email or flyer as text (one meeting a line, blocks of
    labelled lines, bulleted lists, pasted tables, sentences), a spreadsheet's
    CSV export, or a calendar file (.ics).
    """
    # Imported here: the readers are a twentieth of every other command's start.
    from reminders.inputs.announcements import (
        read_announcement,
        read_calendar_file,
        render_meetings_file,
    )

    try:
        zone_named(timezone)
        text = announcement.read_text(encoding="utf-8")
    except ValueError as error:
        raise DataError([Problem(path="--timezone", line=None, message=str(error))]) from None
    except OSError as error:
        message = f"cannot read: {error.strerror}"
        raise DataError([Problem(path=announcement, line=None, message=message)]) from None
    suffix = announcement.suffix.lower()
    if suffix == ".ics":
        result, zone = read_calendar_file(text, announcement)
        timezone = zone if zone and timezone == DEFAULT_ZONE else timezone
    else:
        result = read_announcement(text, announcement, year, spreadsheet=suffix == ".csv")
    if result.problems and not (partial and result.meetings):
        raise DataError(result.problems)
    for problem in result.problems:
        click.echo(f"{problem} (left out)", err=True)
    if not result.meetings:
        raise DataError([Problem(path=announcement, line=None, message="no meetings found")])
    rendered = render_meetings_file(result, timezone, domain, announcement.name, name)
    if out is None:
        click.echo(rendered, nl=False)
    else:
        write_atomically(out, rendered)
        click.echo(f"wrote {len(result.meetings)} meetings to {out}", err=True)
