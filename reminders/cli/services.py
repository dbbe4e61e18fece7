"""The long-running commands: the daemon, its replay over virtual time, the web server."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import click

from reminders.cli.commands import Context, cli, pass_context
from reminders.cli.options import DURATION, INSTANT
from reminders.errors import UsageError
from reminders.inputs.meetings_file import load_series
from reminders.plan import say_span, skipped
from reminders.settings import Settings
from reminders.store.base import describe

__all__ = ["run", "serve", "simulate"]


@cli.command()
@click.option(
    "--every",
    type=click.FloatRange(0.1),
    hidden=True,
    help="Tick every N seconds instead of the cron schedule (for tests).",
)
@click.option(
    "--fresh-state",
    is_flag=True,
    help="Accept a new, empty state database where an earlier one was used.",
)
@pass_context
def run(context: Context, every: float | None, fresh_state: bool) -> None:
    """Run the daemon: build and send on the schedule until SIGTERM."""
    from reminders.daemon import run as run_daemon

    run_daemon(context.settings(), every, fresh_state)


@cli.command()
@click.option("--from", "start", type=INSTANT, required=True, help="First moment (ISO).")
@click.option("--to", "end", type=INSTANT, required=True, help="Last moment (ISO).")
@click.option(
    "--step", type=DURATION, default="1 hour", show_default=True, help="Time between ticks."
)
@click.option(
    "--outbox",
    type=click.Path(path_type=Path, file_okay=False),
    help="Maildir the replayed messages go to (default: a new temporary folder).",
)
@click.option(
    "--live",
    is_flag=True,
    help="Send through the configured transport and record in the configured state.",
)
@pass_context
def simulate(
    context: Context,
    start: datetime,
    end: datetime,
    step: timedelta,
    outbox: Path | None,
    live: bool,
) -> None:
    """Replay the daemon's tick over virtual time and print what went out when.

    Nobody is mailed and nothing real is recorded: messages go to a Maildir and
    the ledger, revisions and public folder to a throwaway folder, unless --live.
    """
    from reminders.daemon import simulate as run_simulation
    from reminders.sending import SendReport

    if end < start:
        raise UsageError("--to must not be before --from")
    settings = context.settings()
    if live:
        click.echo(
            f"LIVE: sending through {settings.mail.transport} and recording in "
            f"{describe(settings.state)}",
            err=True,
        )
    else:
        settings = _throwaway(settings, outbox)
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

    click.echo(f"Replaying {start.isoformat()} to {end.isoformat()} every {say_span(step)}:")
    run_simulation(settings, start, end, step, emit)
    click.echo(
        f"total: {totals['sent']} sent, {totals['failed']} failed, {totals['retry']} retried"
    )
    for skip in skipped(load_series(settings.meetings), start):
        click.echo(f"no reminders for {skip.meeting.id}: {skip.reason}")


def _throwaway(settings: Settings, outbox: Path | None) -> Settings:
    """The settings with state, public folder and transport moved to a scratch folder."""
    scratch = Path(tempfile.mkdtemp(prefix="reminders-simulate-"))
    box = (outbox or scratch / "outbox").resolve()
    click.echo(
        f"Replaying into a throwaway state in {scratch}; messages go to the Maildir {box} "
        "(nobody is mailed; --live would send for real)",
        err=True,
    )
    texts = box.parent / "texts"
    if settings.sms.enabled:
        click.echo(f"Texts go to the folder {texts} (nobody is texted)", err=True)
    return replace(
        settings,
        state=scratch / "state.db",
        public=scratch / "public",
        mail=replace(settings.mail, transport=f"maildir:{box}"),
        sms=replace(settings.sms, transport=f"file:{texts}"),
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--now", type=INSTANT, hidden=True, help="Pages see this moment (for replays).")
@pass_context
def serve(context: Context, host: str, port: int, now: datetime | None) -> None:
    """Serve the public folder and the sign-up pages (waitress)."""
    from reminders.web.app import make_server

    settings = context.settings()
    server = make_server(settings, host, port, clock=(lambda: now) if now else None)
    click.echo(f"serving {settings.public} at http://{host}:{server.effective_port}/", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
