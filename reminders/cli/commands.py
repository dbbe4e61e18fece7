"""The command line: parse arguments, call one core function, print its result.

Every :class:`~reminders.errors.ReminderError` is shown here as a message on
stderr with its exit code; no other module prints or exits. The command line is
also where the real clock is read: ``--now`` replaces it for replays
(:mod:`reminders.cli.options`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from reminders import __version__
from reminders.cli import work
from reminders.cli.options import DURATION, INSTANT, moment_or_now
from reminders.errors import DataError, Problem, ReminderError, UsageError
from reminders.files import write_atomically
from reminders.inputs.meetings_file import load_series
from reminders.report import PREVIEW_KINDS
from reminders.settings import Settings, find_settings, load_settings
from reminders.store import open_state
from reminders.store.base import StateError, is_server
from reminders.terminal import meeting_rows, render_table

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


@dataclass(slots=True)
class Context:
    """What the global options decide, read lazily so `import` needs no settings."""

    config: Path | None

    def settings(self) -> Settings:
        cwd = Path.cwd()
        return load_settings(find_settings(self.config, cwd), cwd)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reminders")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Settings file (default: $REMINDERS_CONFIG, then ./reminders.toml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debugging detail.")
@click.option("-q", "--quiet", is_flag=True, help="Log only warnings and errors.")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: bool, quiet: bool) -> None:
    """Publish a meeting series as a calendar feed and send reminder emails."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    # One event per line with its level: journald adds the time and the unit.
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("reminders")
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    ctx.obj = Context(config=config)


pass_context = click.make_pass_decorator(Context)


@cli.command()
@click.option(
    "--meetings",
    "meetings_path",
    type=click.Path(path_type=Path),
    help="Check only this meetings file.",
)
@pass_context
def check(context: Context, meetings_path: Path | None) -> None:
    """Validate the settings, meetings, subscribers and templates; print the meetings."""
    if meetings_path is not None:
        series = load_series(meetings_path)
    else:
        from reminders.checks import check_all, language_warnings

        settings = context.settings()
        series, subscribers = check_all(settings, lambda: _check_store(settings))
        for warning in language_warnings(settings):
            click.echo(warning, err=True)
        click.echo(f"{settings.subscribers}: {subscribers} subscribers")
    click.echo(f"{series.name}: {len(series)} meetings")
    click.echo(render_table(MEETING_HEADER, meeting_rows(series)))


def _check_store(settings: Settings) -> Problem | None:
    """A PostgreSQL state is connected to (and migrated), so a wrong URL shows in `check`."""
    if not is_server(settings.state):
        return None
    try:
        with open_state(settings.state):
            return None
    except StateError as error:
        return Problem(path="state", line=None, message=str(error))


@cli.command()
@click.option("--now", type=INSTANT, help="Pretend it is this moment (for replays).")
@click.option(
    "--days",
    default=14,
    show_default=True,
    type=click.IntRange(0, 3660),
    help="Also list the reminders scheduled this many days ahead.",
)
@pass_context
def plan(context: Context, now: datetime | None, days: int) -> None:
    """Show the reminders due now and scheduled later, and the meetings skipped."""
    click.echo(work.plan(context.settings(), moment_or_now(now), days))


@cli.command()
@click.option("--now", type=INSTANT, help="Pretend it is this moment (for replays).")
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send nothing.")
@click.option(
    "--fresh-state",
    is_flag=True,
    help="Accept a new, empty state database where an earlier one was used.",
)
@pass_context
def send(context: Context, now: datetime | None, dry_run: bool, fresh_state: bool) -> None:
    """Send the reminders that are due."""
    with _progress() as progress:
        report = work.send(
            context.settings(),
            moment_or_now(now),
            dry_run=dry_run,
            fresh_state=fresh_state,
            progress=progress,
        )
    verb = "would send" if dry_run else "sent"
    count = report.due if dry_run else report.sent
    click.echo(
        f"{verb} {count} of {report.due} due; {report.failed} failed, {report.retry} to retry later"
    )
    for skip in report.skipped:
        click.echo(f"  skipped {skip.meeting.id}: {skip.reason}")
    if report.error is not None:
        raise report.error


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal for long runs; nothing when output goes to a file or log."""
    if not sys.stderr.isatty():
        yield None
        return
    bars: list[Any] = []

    def advance(count: int, total: int) -> None:
        if not bars and total >= 50:
            bars.append(click.progressbar(length=total, label="sending", file=sys.stderr))
            bars[0].__enter__()
        if bars:
            bars[0].update(1)

    try:
        yield advance
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


@cli.command()
@click.argument("meeting_id")
@click.option(
    "--kind",
    type=click.Choice(PREVIEW_KINDS),
    default="reminder",
    show_default=True,
    help="Which message: a reminder, venue announced, change or cancellation notice.",
)
@click.option(
    "--offset", type=DURATION, default="3 days", show_default=True, help="Which reminder."
)
@click.option("--to", "address", help="Render for this subscriber (or a sample person).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write an .eml file instead of printing.",
)
@click.option("--raw", is_flag=True, help="Print the message as sent, not decoded.")
@click.option("--now", type=INSTANT, help="Pretend it is this moment.")
@click.option(
    "--channel",
    type=click.Choice(["email", "sms"]),
    default="email",
    show_default=True,
    help="The email, or the text with its segment count (--to then takes a phone number).",
)
@pass_context
def preview(
    context: Context,
    meeting_id: str,
    kind: str,
    offset: timedelta,
    address: str | None,
    out: Path | None,
    raw: bool,
    now: datetime | None,
    channel: str,
) -> None:
    """Show one message as a reader sees it (in their language), to check the templates."""
    from reminders.report import readable

    settings = context.settings()
    if channel == "sms":
        click.echo(work.preview_text(settings, meeting_id, kind, address), nl=False)
        return
    data = work.preview(settings, meeting_id, offset, address, now, moment_or_now(None), kind)
    if out is not None:
        write_atomically(out, data)
        click.echo(f"wrote {out}", err=True)
    elif raw:
        click.echo(data.decode("ascii", "replace"), nl=False)
    else:
        click.echo(readable(data), nl=False)


@cli.command()
@click.option("--now", type=INSTANT, help="Pretend it is this moment (for replays).")
@pass_context
def status(context: Context, now: datetime | None) -> None:
    """Count, per meeting, the reminders sent, failed, pending and suppressed."""
    click.echo(work.status(context.settings(), moment_or_now(now)))


@cli.command()
@click.argument("address")
@pass_context
def unsubscribe(context: Context, address: str) -> None:
    """Stop all mail to ADDRESS, for good."""
    from reminders.inputs.subscribers import parse_address
    from reminders.store.ledger import suppress

    try:
        parse_address(address)
    except ValueError as error:
        raise DataError([Problem(path="ADDRESS", line=None, message=str(error))]) from None
    with open_state(context.settings().state) as db:
        added = suppress(db, address, "by hand", datetime.now(UTC))
    click.echo("unsubscribed" if added else "already unsubscribed")


@cli.command()
@click.argument("target", type=click.Path(path_type=Path, dir_okay=False))
@pass_context
def backup(context: Context, target: Path) -> None:
    """Copy the SQLite state database to TARGET, safely while it is in use."""
    from reminders.store.sqlite import FileState

    settings = context.settings()
    if is_server(settings.state):
        raise UsageError(
            "the state is a PostgreSQL database: back it up with pg_dump (deploy/README.md)"
        )
    if target.exists():
        raise UsageError(f"{target} exists already; name a new file")
    with open_state(settings.state) as db:
        assert isinstance(db, FileState)
        try:
            db.backup(target)
        except OSError as error:
            raise UsageError(f"{target}: cannot write: {error.strerror}") from None
    click.echo(f"backed up {settings.state} to {target}")


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write (default: the settings' public folder).",
)
@click.option("--now", type=INSTANT, help="Pretend it is this moment (for replays).")
@pass_context
def build(context: Context, out: Path | None, now: datetime | None) -> None:
    """Write the feeds, one .ics per meeting and the landing page."""
    result = work.build(context.settings(), moment_or_now(now), out)
    click.echo(
        f"{result.folder}: {result.files} files, {len(result.written)} written, "
        f"{len(result.removed)} removed, {len(result.revised)} events revised, "
        f"{result.serialized} serialized"
    )


def main() -> None:
    """Run the command line."""
    cli(prog_name="reminders")
    sys.exit(0)
