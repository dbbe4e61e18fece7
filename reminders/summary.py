"""The organizers' daily attendance summary: counts for the week ahead, sent once a day.

:func:`summary_due` is pure: which meetings the summary of ``now`` covers
(those starting within :data:`AHEAD`), or none before the day's send time.
:func:`send_summary` is its executor, called by each daemon tick: it claims
the day in the store before handing the message over, so two daemons or a
repeated tick never send it twice; a refusal gives the claim back for the
next tick, while a crash in between costs that one day's summary (the next
day's says the same and more).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reminders.attendance import OTHER, Tally
from reminders.i18n.languages import LANGUAGES, choose
from reminders.i18n.phrasing import when_phrase
from reminders.inputs.meetings import Meeting, Series
from reminders.mail.assembly import compose_summary
from reminders.mail.handover import PermanentFailure, TemporaryFailure, Transport, TransportError
from reminders.mail.templates import Templates
from reminders.mail.transports import open_transport
from reminders.plan import Schedule
from reminders.sending import identity, schedule
from reminders.settings import Settings
from reminders.store.attendance import forget_summary, last_summary, note_summary, tallies
from reminders.store.base import Database
from reminders.store.secret import load_secret

__all__ = ["AHEAD", "Line", "send_summary", "summary_due", "summary_lines"]

log = logging.getLogger(__name__)

AHEAD = timedelta(days=7)


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """One meeting of a summary: its counts now, and those the last summary showed."""

    meeting: Meeting
    tally: Tally
    before: Tally | None


def summary_due(
    series: Series, schedule: Schedule, now: datetime, last_day: str | None
) -> tuple[str, list[Meeting]] | None:
    """The day a summary is due for at ``now`` and the meetings it covers, if one is due."""
    local = now.astimezone(series.timezone)
    day = local.date().isoformat()
    if local.time() < schedule.send_time or (last_day is not None and last_day >= day):
        return None
    ahead = [m for m in series if not m.cancelled and now < m.end and m.start - now <= AHEAD]
    return (day, ahead) if ahead else None


def summary_lines(
    meetings: Sequence[Meeting], counts: Mapping[str, Tally], shown: Mapping[str, Mapping[str, int]]
) -> list[Line]:
    return [
        Line(
            meeting=m,
            tally=counts.get(m.id, Tally()),
            before=Tally.from_measures(shown[m.id]) if m.id in shown else None,
        )
        for m in meetings
    ]


def _delta(now: int, before: int | None) -> str:
    return "" if before is None or now == before else f" ({now - before:+d})"


def _said(tally: Tally, before: Tally | None) -> dict[str, str]:
    """Each count, with its change since the last summary when it changed."""
    earlier = before.measures() if before else None
    return {
        key: f"{value}{_delta(value, None if earlier is None else earlier.get(key, 0))}"
        for key, value in tally.measures().items()
    }


def _context(lines: Sequence[Line], series: Series, day: str, language: str) -> dict[str, Any]:
    meetings = []
    for line in lines:
        said = _said(line.tally, line.before)
        meetings.append(
            {
                "city": line.meeting.city,
                "when": when_phrase(line.meeting.start, line.meeting.end, language),
                "counts": said,
                "interpretation": [
                    (LANGUAGES.get(tag, tag), said[f"interpretation:{tag}"])
                    for tag in line.tally.interpretation
                    if tag != OTHER
                ],
                "other_language": said.get(f"interpretation:{OTHER}", ""),
            }
        )
    return {"series": {"name": series.name}, "day": day, "meetings": meetings, "days": AHEAD.days}


def send_summary(
    db: Database,
    settings: Settings,
    series: Series,
    now: datetime,
    transport: Transport | None = None,
) -> bool:
    """Send today's summary to ``[attendance] notify`` if it is due and not sent yet."""
    to = settings.attendance.notify
    if to is None:
        return False
    last = last_summary(db)
    due = summary_due(series, schedule(settings), now, last[0] if last else None)
    if due is None:
        return False
    day, meetings = due
    lines = summary_lines(meetings, tallies(db), last[1] if last else {})
    if not note_summary(db, day, {line.meeting.id: line.tally for line in lines}):
        return False  # another daemon claimed the day first
    templates = Templates(settings.email_templates, settings.locale)
    chosen = choose([settings.attendance.language], settings.locale, settings.allow_drafts)[0]
    letter = templates.render("attendance", _context(lines, series, day, chosen.tag), chosen)
    me = identity(settings, series, load_secret(db))
    message = compose_summary(letter, identity=me, to=to, day=day, now=now)
    outbox = transport or open_transport(
        settings.mail.transport, settings.root, timeout=settings.mail.timeout, helo=series.domain
    )
    try:
        outbox.send(me.sender.addr_spec, to.addr_spec, message.as_bytes())
    except (TransportError, TemporaryFailure, PermanentFailure) as error:
        forget_summary(db, day)  # the next tick tries again
        log.warning("the attendance summary waits: %s", error)
        return False
    finally:
        if transport is None:
            outbox.close()
    log.info("attendance summary of %s sent to the organizers", day)
    return True
