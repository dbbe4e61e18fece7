"""The commands for mail that comes back, and for the list of addresses never mailed again."""

from __future__ import annotations

import csv
import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from reminders.cli.commands import Context, cli, pass_context
from reminders.cli.options import INSTANT, moment_or_now
from reminders.errors import UsageError
from reminders.files import write_atomically
from reminders.inputs.meetings_file import load_series
from reminders.privacy import mask
from reminders.returned import Taken, read_mailbox, take
from reminders.store import open_state
from reminders.store.base import StateError
from reminders.store.ledger import suppressions as listed
from reminders.terminal import render_table

__all__ = ["bounce", "bounces", "dns", "suppressions"]

# What a Postfix pipe transport (or an alias) understands: done, or try again later.
EX_OK, EX_TEMPFAIL = 0, 75


def _summary(taken: Taken) -> str:
    return (
        f"read {taken.read}: {taken.hard} hard, {taken.soft} soft, {taken.complaints} "
        f"complaints, {taken.not_bounces} not bounces, {taken.unmatched} unmatched; "
        f"{taken.suppressed} addresses suppressed"
    )


@cli.command()
@pass_context
def bounce(context: Context) -> None:
    """Read one returned message on standard input (for a Postfix pipe or an alias)."""
    try:
        settings = context.settings()
        domain = load_series(settings.meetings).domain
        taken = Taken()
        with open_state(settings.state) as db:
            take(db, sys.stdin.buffer.read(), domain, settings.bounces, datetime.now(UTC), taken)
    except StateError as error:
        click.echo(f"{error}; try again later", err=True)
        sys.exit(EX_TEMPFAIL)  # Postfix keeps the message and tries again
    click.echo(_summary(taken), err=True)
    sys.exit(EX_OK)


@cli.command()
@click.option(
    "--maildir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="The Maildir bounces arrive in (default: [bounces] maildir).",
)
@click.option(
    "--imap",
    help="imaps://user@host[:port][/folder] (password in $REMINDERS_IMAP_PASSWORD).",
)
@click.option("--now", type=INSTANT, hidden=True, help="Pretend it is this moment (for replays).")
@pass_context
def bounces(context: Context, maildir: Path | None, imap: str | None, now: datetime | None) -> None:
    """Read the new messages of a bounce mailbox (Maildir or IMAP), each once."""
    settings = context.settings()
    mailbox = maildir or imap or settings.bounces.mailbox
    if mailbox is None:
        raise UsageError("name the bounce mailbox: --maildir PATH, --imap URL, or [bounces]")
    domain = load_series(settings.meetings).domain
    with open_state(settings.state) as db:
        taken = read_mailbox(db, mailbox, domain, settings.bounces, moment_or_now(now))
    click.echo(_summary(taken))


@cli.command()
@click.option(
    "--export",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the full list (addresses in full) to this file, readable by you alone.",
)
@pass_context
def suppressions(context: Context, export: Path | None) -> None:
    """List the addresses that are never mailed again, why and since when (masked)."""
    with open_state(context.settings().state) as db:
        rows = listed(db)
    if export is not None:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(("address", "reason", "since"))
        writer.writerows(rows)
        write_atomically(export, out.getvalue(), mode=0o600)
        click.echo(f"wrote {len(rows)} addresses to {export}", err=True)
        return
    table = [(mask(address), reason, since) for address, reason, since in rows]
    click.echo(render_table(("Address", "Reason", "Since (UTC)"), table) if table else "none")


@cli.command()
@pass_context
def dns(context: Context) -> None:
    """Print the DNS records to publish: DKIM from the key, SPF and DMARC to check."""
    from reminders.mail.signing import dns_records, load_signer

    settings = context.settings()
    signer = load_signer(settings.mail.dkim_selector, settings.mail.dkim_domain)
    if signer is None:
        raise UsageError("set [mail] dkim_selector (and $REMINDERS_DKIM_KEY_FILE) first")
    for record in dns_records(signer, settings.mail.sender.addr_spec):
        click.echo(record)
