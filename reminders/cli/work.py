"""One unit of work per command: read the inputs, open the store once, ask the core.

Each function here is what a command does, without the parsing and the
printing: tests and benchmarks call them as the command line does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from reminders.inputs.meetings_file import load_series
from reminders.plan import skipped
from reminders.publish.site import BuildResult, page_environments
from reminders.publish.site import build as build_folder
from reminders.sending import (
    SendReport,
    load_inputs,
    observe_venues,
    plan_now,
    prepare,
    schedule,
    send_due,
)
from reminders.settings import Settings
from reminders.store import open_state
from reminders.store.lineage import check_lineage, mark, marker_for

__all__ = ["build", "plan", "preview", "preview_text", "send", "status"]


def build(settings: Settings, now: datetime, out: Path | None = None) -> BuildResult:
    """Rebuild the public folder and note the venues it shows."""
    series = load_series(settings.meetings)
    envs = page_environments(settings.templates, settings.locale, settings.allow_drafts)
    with open_state(settings.state) as db:
        result = build_folder(
            db,
            series,
            options=settings.feed_options,
            envs=envs,
            folder=out or settings.public,
            now=now,
            public_counts=settings.attendance.public,
        )
        observe_venues(db, series.meetings, now)
        mark(db, marker_for(settings.public))
    return result


def send(
    settings: Settings,
    now: datetime,
    *,
    dry_run: bool = False,
    fresh_state: bool = False,
    progress: Callable[[int, int], None] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> SendReport:
    """Send what is due at ``now`` (or, dry, count it).

    A new, empty state database where an earlier one was used is refused
    unless ``fresh_state`` (see :mod:`reminders.store.lineage`).
    """
    inputs = load_inputs(settings)
    with open_state(settings.state) as db:
        if not dry_run:
            check_lineage(db, marker_for(settings.public), fresh_state)
        revisions = prepare(db, settings, inputs.series, now, save=not dry_run)
        if not dry_run:
            return send_due(db, settings, inputs, revisions, now, progress=progress, clock=clock)
        sequences = {key: revision.sequence for key, revision in revisions.items()}
        work = plan_now(db, inputs, settings, sequences, now)
        skips = skipped(inputs.series, now, schedule(settings), work.known)
        return SendReport(due=len(work.deliveries), skipped=skips)


def plan(settings: Settings, now: datetime, days: int) -> str:
    """The plan report at ``now``."""
    from reminders.report import plan_report

    inputs = load_inputs(settings)
    with open_state(settings.state) as db:
        revisions = prepare(db, settings, inputs.series, now, save=False)
        # A venue announced is noted by whichever command sees it first, so the kind of
        # message it brings never depends on which ran.
        observe_venues(db, inputs.series.meetings, now)
        return plan_report(db, settings, inputs, revisions, now, days)


def status(settings: Settings, now: datetime) -> str:
    """The status report at ``now``."""
    from reminders.report import status_report

    inputs = load_inputs(settings)
    with open_state(settings.state) as db:
        revisions = prepare(db, settings, inputs.series, now, save=False)
        return status_report(db, settings, inputs, revisions, now)


def preview(
    settings: Settings,
    meeting_id: str,
    offset: timedelta,
    address: str | None,
    now: datetime | None,
    today: datetime,
    kind: str = "reminder",
) -> bytes:
    """One message as the bytes of an .eml file, as `send` would make it."""
    from reminders.report import preview_message

    inputs = load_inputs(settings)
    with open_state(settings.state) as db:
        revisions = prepare(db, settings, inputs.series, now or today, save=False)
        return preview_message(
            db,
            settings,
            inputs,
            revisions,
            meeting_id=meeting_id,
            kind=kind,
            offset=offset,
            address=address,
            now=now,
        )


def preview_text(settings: Settings, meeting_id: str, kind: str, phone: str | None) -> str:
    """One text as `send` would make it, with its segment count."""
    from reminders.errors import UsageError
    from reminders.inputs.subscribers import Subscriber
    from reminders.sms.costs import costs, said
    from reminders.sms.messages import TextBatch, Texts
    from reminders.sms.numbers import parse_phone

    inputs = load_inputs(settings)
    meeting = inputs.series.get(meeting_id)
    if meeting is None:
        raise UsageError(f"no meeting {meeting_id!r} in {settings.meetings}")
    try:
        number = parse_phone(phone, settings.sms.region) if phone else ""
    except ValueError as error:
        raise UsageError(f"--to: {error}") from None
    person = next((p for p in inputs.subscribers if number and p.phone == number), None)
    texts = Texts(settings.templates, settings.locale)
    batch = TextBatch(texts, inputs.series, settings.base_url, settings.allow_drafts)
    language = batch.language(person or Subscriber(email=""))
    template = {"cancel": "cancelled"}.get(kind, kind)
    [cost] = costs(texts, inputs.series, settings.base_url, [language], [(meeting, template)])
    return said(cost)
