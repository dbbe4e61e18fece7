"""Sending what is due: the one executor of the plan.

:func:`plan_now` asks the pure core (:mod:`reminders.plan`,
:mod:`reminders.notices`) what is due, given what the store remembers;
:func:`send_due` queues that in the ledger, then claims small batches of the
queue under a lease and performs each delivery (render, hand over, record),
recording each outcome before the next message goes, so a crash repeats at
most the message in flight. Several senders on one PostgreSQL state share
the queue this way; on SQLite there is one sender, and the same code.

The caller (a command or a daemon tick) opens the store once and passes it
here, with the inputs and the revisions it has already brought up to date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from reminders.answered import answers_heard, coming_windows
from reminders.errors import ReminderError
from reminders.inputs.meetings import LastReading, Meeting, Series
from reminders.inputs.meetings_file import load_series
from reminders.inputs.subscribers import Subscriber, load_subscribers
from reminders.kinds import Family, Kind
from reminders.mail.assembly import Identity
from reminders.mail.batch import Batch
from reminders.mail.handover import Transport, TransportError
from reminders.mail.signing import load_signer
from reminders.mail.templates import Templates
from reminders.mail.transports import open_transport
from reminders.notices import Watch, changed_meetings, notice_deliveries, notice_kind, observe
from reminders.plan import Delivery, Schedule, Skip, Window, due, open_windows, skipped
from reminders.publish.site import current_revisions
from reminders.revisions import Revision
from reminders.sender import Sender, TextChannel
from reminders.settings import Settings
from reminders.sms import channel as texting
from reminders.store import ledger, queue, told
from reminders.store.base import Database, StateError
from reminders.store.claims import Claims, alive
from reminders.store.editions import Copy
from reminders.store.secret import load_secret
from reminders.store.signups import merge, web_subscribers
from reminders.tokens import Secret

__all__ = [
    "Due",
    "Inputs",
    "SendReport",
    "identity",
    "load_inputs",
    "observe_venues",
    "plan_now",
    "prepare",
    "schedule",
    "send_due",
]

log = logging.getLogger(__name__)

# Messages made ahead of the one being sent: with one, the next was often not made by
# the time this one's end went, and its envelope could not go with it.
AHEAD = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Inputs:
    """The validated data a run works on."""

    series: Series
    subscribers: tuple[Subscriber, ...]


@dataclass(slots=True)
class SendReport:
    """What a run did."""

    due: int = 0
    sent: int = 0
    failed: int = 0
    retry: int = 0
    skipped: list[Skip] = field(default_factory=list)
    stopped: str | None = None
    error: ReminderError | None = None  # what stopped the run, if anything did
    # (meeting id, kind) -> outcome -> count, for timelines
    outcomes: dict[tuple[str, Kind], dict[str, int]] = field(default_factory=dict)

    def count(self, delivery: Delivery, outcome: str) -> None:
        """Add one delivery's outcome."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        tally = self.outcomes.setdefault((delivery.meeting_id, delivery.kind), {})
        tally[outcome] = tally.get(outcome, 0) + 1


def load_inputs(settings: Settings, known: LastReading | None = None) -> Inputs:
    """Read and validate the meetings and subscribers files (``known``: see ``load_series``)."""
    series = load_series(settings.meetings, known)
    subscribers = load_subscribers(settings.subscribers, series.cities, settings.sms.region)
    return Inputs(series=series, subscribers=subscribers)


def schedule(settings: Settings) -> Schedule:
    """The reminder schedule from the settings."""
    return Schedule(
        offsets=settings.reminders.offsets,
        send_time=settings.reminders.send_time,
        late_venue_before=settings.notices.late_venue_before,
    )


def identity(settings: Settings, series: Series, secret: Secret) -> Identity:
    """Who the messages are from, and the keys that sign their links."""
    return Identity(
        sender=settings.mail.sender,
        reply_to=settings.mail.reply_to,
        domain=series.domain,
        list_name=series.name,
        secret=secret,
        base_url=settings.base_url,
    )


def observe_venues(
    db: Database, meetings: Sequence[Meeting], now: datetime, stored: Copy[Watch] | None = None
) -> None:
    """Note which meetings are TBD and when a TBD venue became known.

    Observing a meeting again as it was last observed changes nothing, so a
    process that watches the series (the daemon) passes only the meetings that
    changed since it last did, and keeps the ``stored`` watches.
    """
    watches = told.load_watches(db, [meeting.id for meeting in meetings], stored)
    told.save_watches(db, observe(meetings, watches, now).values(), stored)


def prepare(
    db: Database, settings: Settings, series: Series, now: datetime, *, save: bool = True
) -> dict[str, Revision]:
    """Bring revisions and venue watches up to date with the series, as every command does.

    With ``save=False`` (a dry run, a report) nothing is stored.
    """
    revisions, _ = current_revisions(db, series, settings.feed_options, now, save=save)
    if save:
        observe_venues(db, series.meetings, now)
    return revisions


@dataclass(frozen=True, slots=True, kw_only=True)
class Due:
    """What a run must do: the open windows, the deliveries (notices first), the people."""

    windows: dict[tuple[str, Kind], Window]
    deliveries: list[Delivery]
    people: dict[str, Subscriber]
    known: dict[str, datetime]  # when each venue first seen TBD became known


def plan_now(
    db: Database,
    inputs: Inputs,
    settings: Settings,
    sequences: Mapping[str, int],
    now: datetime,
    stored: Copy[Watch] | None = None,
) -> Due:
    """Everything due at ``now``, for the CSV's subscribers and those who joined on the web."""
    audience = settings.notices.audience
    watches = told.load_watches(db, copy=stored)
    known = {key: w.known_at for key, w in watches.items() if w.known_at is not None}
    windows = open_windows(inputs.series, schedule(settings), now, known)
    changed = changed_meetings(inputs.series, told.told_states(db), watches, audience, now)
    if not windows and not changed and not coming_windows(inputs.series, settings, now):
        # Nothing open, nothing changed: the common tick does no work per subscriber.
        return Due(windows={}, deliveries=[], people={}, known=known)
    everyone = merge(inputs.subscribers, web_subscribers(db))
    people = texting.audience(db, everyone, settings.sms.enabled)
    extra = coming_windows(inputs.series, settings, now)
    kinds = [(w.meeting.id, w.kind) for w in [*windows, *extra]]
    kinds += [(m.id, notice_kind(m, sequences[m.id])) for m in changed if m.id in sequences]
    finished = ledger.finished(db, kinds, now)
    venue_windows = [w.meeting.id for w in windows if w.kind.family is Family.VENUE]
    for meeting_id, heard in told.told(db, venue_windows).items():
        # Whoever was already told of the meeting needs no "venue announced" reminder.
        finished.setdefault((meeting_id, Kind.venue()), set()).update(heard)
    suppressed = ledger.suppressed(db)
    heard_of = told.told(db, (m.id for m in changed))
    notices = notice_deliveries(
        changed,
        people,
        heard_of,
        sequences,
        watches,
        audience=audience,
        finished=finished,
        suppressed=suppressed,
    )
    coming = answers_heard(db, windows, extra, people, finished)
    reminders = due(windows, people, finished, suppressed)
    reminders += [d for w in extra for d in due([w], coming[w], finished, suppressed)]
    return Due(
        windows={(w.meeting.id, w.kind): w for w in [*windows, *extra]},
        deliveries=texting.outside_quiet(notices + reminders, inputs.series, settings.sms, now),
        people={person.key: person for person in people},
        known=known,
    )


def send_due(
    db: Database,
    settings: Settings,
    inputs: Inputs,
    revisions: Mapping[str, Revision],
    now: datetime,
    *,
    transport: Transport | None = None,
    progress: Callable[[int, int], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
    clock: Callable[[], datetime] | None = None,
    stored: Copy[Watch] | None = None,
) -> SendReport:
    """Send every delivery due at ``now``; return what happened.

    Leases run on ``clock`` (the real time, in a daemon sharing the queue), by
    default ``now`` standing still; ``stored``: the watches this process keeps.
    """
    sequences = {key: revision.sequence for key, revision in revisions.items()}
    work = plan_now(db, inputs, settings, sequences, now, stored)
    skips = skipped(inputs.series, now, schedule(settings), work.known)
    report = SendReport(due=len(work.deliveries), skipped=skips)
    texts = _texts(db, settings, inputs, now, report)
    if not work.deliveries or report.error:
        return report
    # Queueing also fails now, before any mail goes, if another process holds the database.
    queue.enqueue(db, work.deliveries, now)
    queue.expire(db, now)
    if not db.shared:
        queue.release_dead(db, alive)
    batch = _batch(db, settings, inputs.series, revisions, now)
    outbox = transport or open_transport(
        settings.mail.transport,
        settings.root,
        timeout=settings.mail.timeout,
        max_per_minute=settings.mail.max_per_minute,
        helo=inputs.series.domain,
    )
    signer = load_signer(settings.mail.dkim_selector, settings.mail.dkim_domain)
    sender = Sender(db, inputs.series, work.people, batch, outbox, now, signer, texts)
    claims = Claims(
        db,
        work.deliveries,
        batch=settings.queue.batch,
        lease=settings.queue.lease,
        margin=settings.mail.timeout_span,
        clock=clock or (lambda: now),
        settle=sender.settle,
    )
    with db.many_writes():  # a commit a message: no checkpoint inside one
        try:
            broken: set[str] = set()  # meetings whose messages cannot be made this run
            for delivery in claims.take(stop):
                if delivery.meeting_id in broken:
                    continue  # its claim lapses with the lease; the next run tries again
                try:
                    outcome = sender.deliver(delivery, claims.holder, claims.upcoming(AHEAD))
                    report.count(delivery, outcome)
                except (TransportError, StateError):
                    raise
                except Exception:  # one meeting's surprise must not stop the others' reminders
                    broken.add(delivery.meeting_id)
                    log.exception(
                        "%s: its messages cannot be made (%s); the other meetings go on",
                        delivery.meeting_id,
                        delivery.kind,
                    )
                if progress:
                    progress(report.sent + report.failed + report.retry, len(work.deliveries))
            if claims.stopped:
                report.stopped = "asked to stop"
        except (TransportError, StateError) as error:
            report.stopped, report.error = str(error), error
            log.error("sending stopped: %s; what is due stays due", error)
        finally:
            sender.close()
            claims.close()
            if transport is None:
                outbox.close()
    return report


def _texts(
    db: Database, settings: Settings, inputs: Inputs, now: datetime, report: SendReport
) -> TextChannel | None:
    """The run's text channel, after asking new numbers for consent (None: no texts)."""
    if not settings.sms.enabled:
        return None
    try:
        channel = texting.open_channel(settings, inputs.series)
        everyone = merge(inputs.subscribers, web_subscribers(db))
        texting.ask_consent(db, everyone, settings, inputs.series, channel, now)
    except TransportError as error:
        report.stopped, report.error = str(error), error
        log.error("texting stopped: %s; what is due stays due", error)
        return None
    return channel


def _batch(
    db: Database,
    settings: Settings,
    series: Series,
    revisions: Mapping[str, Revision],
    now: datetime,
) -> Batch:
    """The renderer of this run's messages."""
    return Batch(
        bounce=settings.mail.bounce_address,
        series=series,
        revisions=revisions,
        options=settings.feed_options,
        identity=identity(settings, series, load_secret(db)),
        templates=Templates(settings.email_templates, settings.locale),
        allow_drafts=settings.allow_drafts,
        now=now,
    )
