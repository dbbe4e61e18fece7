"""The ``reply`` command: a text someone sent, recorded when it reached you another way."""

from __future__ import annotations

from datetime import datetime

import click

from reminders.cli.commands import Context, cli, pass_context
from reminders.cli.options import INSTANT, moment_or_now
from reminders.errors import DataError, Problem
from reminders.sms.numbers import mask_number, parse_phone
from reminders.sms.replies import take_reply
from reminders.sms.rules import Ask
from reminders.store import open_state

__all__ = ["reply"]


@cli.command()
@click.argument("phone")
@click.argument("message")
@click.option("--now", type=INSTANT, help="Pretend it is this moment (for replays).")
@pass_context
def reply(context: Context, phone: str, message: str, now: datetime | None) -> None:
    """Record that PHONE sent MESSAGE (YES, STOP, START, HELP...), as the webhook would."""
    settings = context.settings()
    try:
        number = parse_phone(phone, settings.sms.region)
    except ValueError as error:
        raise DataError([Problem(path="PHONE", line=None, message=str(error))]) from None
    with open_state(settings.state) as db:
        ask, acted = take_reply(db, number, message, moment_or_now(now))
    said = {Ask.STOP: "stopped texts", Ask.START: "agreed to texts"}
    if acted:
        click.echo(f"{mask_number(number)}: {said[ask]}")
    elif ask in said:
        click.echo(f"{mask_number(number)}: was never asked to reply YES; nothing recorded")
    else:
        click.echo(f"{mask_number(number)}: nothing to record ({ask.value})")
