"""The command line: parse arguments, call one core function, print its result.

Every :class:`~reminders.errors.ReminderError` is shown here as a message on
stderr with its exit code; no other module prints or exits. This is also the
one place that reads the real clock: ``--now`` replaces it for replays.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from reminders import __version__
from reminders.errors import DataError, Problem, ReminderError, UsageError
from reminders.files import write_atomically
from reminders.inputs.announcement import read_announcement, render_meetings_file
from reminders.inputs.meetings import load_series, zone_named
from reminders.settings import Settings, find_settings, load_settings
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
class _Context:
    """What the global options decide, read lazily so `import` needs no settings."""

    config: Path | None

    def settings(self, **overrides: Any) -> Settings:
        cwd = Path.cwd()
        return load_settings(find_settings(self.config, cwd), cwd, **overrides)


class _Instant(click.ParamType):  # type: ignore[type-arg]
    """An ISO 8601 date-time with an offset or a zone: ``2011-02-23T09:05-05:00``."""

    name = "ISO-DATETIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO date-time such as 2011-02-23T09:05-05:00")
        if parsed.tzinfo is None:
            self.fail(f"{value!r} needs an offset or Z, such as 2011-02-23T09:05-05:00")
        return parsed


INSTANT = _Instant()


def _now(value: datetime | None) -> datetime:
    return value if value is not None else datetime.now(UTC)


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
    ctx.obj = _Context(config=config)


pass_context = click.make_pass_decorator(_Context)


@cli.command()
@click.option(
    "--meetings",
    "meetings_path",
    type=click.Path(path_type=Path),
    help="Check only this meetings file.",
)
@pass_context
def check(context: _Context, meetings_path: Path | None) -> None:
    """Validate the settings, meetings, subscribers and templates; print the meetings."""
    if meetings_path is not None:
        series = load_series(meetings_path)
    else:
        from reminders.checks import check_all

        settings = context.settings()
        series, subscribers = check_all(settings)
        click.echo(f"{settings.path('subscribers')}: {subscribers} subscribers")
    click.echo(f"{series.name}: {len(series)} meetings")
    click.echo(render_table(MEETING_HEADER, meeting_rows(series)))


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
def plan(context: _Context, now: datetime | None, days: int) -> None:
    """Show the reminders due now and scheduled later, and the meetings skipped."""
    from reminders.report import plan_report

    click.echo(plan_report(context.settings(), _now(now), days))


@cli.command()
@click.option("--now", type=INSTANT, help="Pretend it is this moment (for replays).")
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send nothing.")
@pass_context
def send(context: _Context, now: datetime | None, dry_run: bool) -> None:
    """Send the reminders that are due."""
    from reminders.sending import send_due

    settings = context.settings()
    with _progress() as progress:
        report = send_due(settings, _now(now), dry_run=dry_run, progress=progress)
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
@click.option("--offset", default="3 days", show_default=True, help="Which reminder.")
@click.option("--to", "address", help="Render for this subscriber (or a sample person).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write an .eml file instead of printing.",
)
@click.option("--now", type=INSTANT, help="Pretend it is this moment.")
@pass_context
def preview(
    context: _Context,
    meeting_id: str,
    offset: str,
    address: str | None,
    out: Path | None,
    now: datetime | None,
) -> None:
    """Render one reminder message, to check the templates."""
    from reminders.report import preview_message

    data = preview_message(context.settings(), meeting_id, offset, address, now)
    if out is None:
        click.echo(data.decode("utf-8", "replace"), nl=False)
    else:
        write_atomically(out, data)
        click.echo(f"wrote {out}", err=True)


@cli.command()
@click.option(
    "--every",
    type=click.FloatRange(0.1),
    hidden=True,
    help="Tick every N seconds instead of the cron schedule (for tests).",
)
@pass_context
def run(context: _Context, every: float | None) -> None:
    """Run the daemon: build and send on the schedule until SIGTERM."""
    from reminders.daemon import run as run_daemon

    run_daemon(context.settings(), every)


@cli.command()
@click.option("--from", "start", type=INSTANT, required=True, help="First moment (ISO).")
@click.option("--to", "end", type=INSTANT, required=True, help="Last moment (ISO).")
@click.option("--step", default="1 hour", show_default=True, help="Time between ticks.")
@pass_context
def simulate(context: _Context, start: datetime, end: datetime, step: str) -> None:
    """Replay the daemon's tick over virtual time and print what went out when."""
    from reminders.daemon import simulate as run_simulation
    from reminders.plan import skipped
    from reminders.sending import SendReport
    from reminders.settings import parse_duration

    try:
        interval = parse_duration(step)
    except ValueError as error:
        raise UsageError(f"--step: {error}") from None
    if end < start:
        raise UsageError("--to must not be before --from")
    settings = context.settings()
    zone = load_series(settings.meetings).timezone
    totals = {"sent": 0, "failed": 0, "retry": 0}

    def emit(moment: datetime, report: SendReport) -> None:
        for (meeting_id, kind), tally in sorted(report.outcomes.items()):
            outcome = ", ".join(f"{n} {what}" for what, n in sorted(tally.items()))
            click.echo(
                f"{moment.astimezone(zone):%Y-%m-%d %H:%M %Z}  {meeting_id:<24} "
                f"{kind:<14} {outcome}"
            )
            for what, n in tally.items():
                totals[what] += n

    click.echo(f"Replaying {start.isoformat()} to {end.isoformat()} every {step}:")
    run_simulation(settings, start, end, interval, emit)
    click.echo(
        f"total: {totals['sent']} sent, {totals['failed']} failed, {totals['retry']} retried"
    )
    for skip in skipped(load_series(settings.meetings), start):
        click.echo(f"no reminders for {skip.meeting.id}: {skip.reason}")


@cli.command()
@pass_context
def status(context: _Context) -> None:
    """Count, per meeting, the reminders sent, failed, pending and suppressed."""
    from reminders.report import status_report

    click.echo(status_report(context.settings(), datetime.now(UTC)))


@cli.command()
@click.argument("address")
@pass_context
def unsubscribe(context: _Context, address: str) -> None:
    """Stop all mail to ADDRESS, for good."""
    from reminders.inputs.subscribers import parse_address
    from reminders.store import open_state
    from reminders.store.ledger import suppress

    try:
        parse_address(address)
    except ValueError as error:
        raise DataError([Problem(path="ADDRESS", line=None, message=str(error))]) from None
    connection = open_state(context.settings().state)
    try:
        added = suppress(connection, address, "by hand", datetime.now(UTC))
    finally:
        connection.close()
    click.echo("unsubscribed" if added else "already unsubscribed")


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write (default: the settings' public folder).",
)
@click.option("--now", type=INSTANT, help="Pretend it is this moment (for replays).")
@pass_context
def build(context: _Context, out: Path | None, now: datetime | None) -> None:
    """Write the feeds, one .ics per meeting and the landing page."""
    from reminders.publish.site import build as build_site

    result = build_site(context.settings(), _now(now), out)
    click.echo(
        f"{result.folder}: {result.files} files, {len(result.written)} written, "
        f"{len(result.removed)} removed, {len(result.revised)} events revised"
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@pass_context
def serve(context: _Context, host: str, port: int) -> None:
    """Serve the public folder and the sign-up pages (waitress)."""
    from reminders.web.app import make_server

    settings = context.settings()
    server = make_server(settings, host, port)
    click.echo(f"serving {settings.public} at http://{host}:{server.effective_port}/", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


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


def main() -> None:
    """Run the command line."""
    cli(prog_name="reminders")
    sys.exit(0)
