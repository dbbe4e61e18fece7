"""Sending what is due: the one executor of the plan.

:func:`plan_now` reads the inputs and asks :mod:`reminders.plan` what is due;
:func:`send_due` queues that in the ledger, then claims small batches of the
queue under a lease and performs each delivery (compose, hand over, record),
recording each outcome before the next message goes, so a crash repeats at
most the message in flight. Several senders on one PostgreSQL state share
the queue this way; on SQLite there is one sender, and the same code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any, Literal

from reminders.errors import Problem, ReminderError
from reminders.i18n.languages import Language, choose
from reminders.inputs.meetings import Meeting, Series, Snapshot, load_series
from reminders.inputs.subscribers import Subscriber, load_subscribers, mask
from reminders.mail.batch import Prototype
from reminders.mail.compose import (
    LINK_MARKS,
    NAME_MARK,
    Identity,
    Letter,
    PersonalLinks,
    TemplateProblem,
    Templates,
    fill,
    message_context,
    personal_links,
    shared_context,
    template_for,
)
from reminders.mail.transports import (
    PermanentFailure,
    TemporaryFailure,
    Transport,
    TransportError,
    open_transport,
)
from reminders.notices import changed_meetings, notice_deliveries, notice_kind, observe
from reminders.plan import Delivery, Schedule, Skip, Window, due, open_windows, skipped
from reminders.publish.site import current_revisions, feed_options, meeting_calendar
from reminders.revisions import Revision
from reminders.settings import Settings
from reminders.store import ledger, open_state
from reminders.store.base import Database, StateError
from reminders.store.claims import Claims, alive
from reminders.store.signups import merge, web_subscribers
from reminders.tokens import load_secret

__all__ = [
    "Due",
    "Inputs",
    "SendReport",
    "identity",
    "load_inputs",
    "plan_now",
    "schedule",
    "send_due",
]

log = logging.getLogger("reminders.send")


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
    outcomes: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    def count(self, delivery: Delivery, outcome: str) -> None:
        """Add one delivery's outcome."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        tally = self.outcomes.setdefault((delivery.meeting_id, delivery.kind), {})
        tally[outcome] = tally.get(outcome, 0) + 1


def load_inputs(settings: Settings) -> Inputs:
    """Read and validate the meetings and subscribers files."""
    series = load_series(settings.meetings)
    subscribers = load_subscribers(settings.path("subscribers"), series.cities)
    return Inputs(series=series, subscribers=subscribers)


def schedule(settings: Settings) -> Schedule:
    """The reminder schedule from the settings."""
    return Schedule(
        offsets=settings["reminders.offsets"], send_time=settings["reminders.send_time"]
    )


def identity(settings: Settings, series: Series, secret: bytes) -> Identity:
    """Who the messages are from, from the settings."""
    return Identity(
        sender=_address(settings["mail.from"], "mail.from"),
        reply_to=_address(settings["mail.reply_to"], "mail.reply_to")
        if settings["mail.reply_to"]
        else None,
        domain=series.domain,
        list_name=series.name,
        secret=secret,
        base_url=settings.base_url,
    )


def _address(text: str, key: str) -> Address:
    name, spec = parseaddr(text)
    local, _, domain = spec.partition("@")
    if not local or not domain:
        raise ReminderError(f"{key}: {text!r} is not an address such as 'Name <a@example.org>'")
    return Address(name, local, domain)


def observe_venues(connection: Database, series: Series, now: datetime) -> None:
    """Note which meetings are TBD and when a TBD venue became known."""
    ledger.save_watches(connection, observe(series, ledger.load_watches(connection), now).values())


@dataclass(frozen=True, slots=True, kw_only=True)
class Due:
    """What a run must do: the open windows, the deliveries (notices first), the people."""

    windows: dict[tuple[str, str], Window]
    deliveries: list[Delivery]
    people: dict[str, Subscriber]


def plan_now(
    connection: Database,
    inputs: Inputs,
    settings: Settings,
    sequences: Mapping[str, int],
    now: datetime,
) -> Due:
    """Everything due at ``now``, for the CSV's subscribers and those who joined on the web."""
    plan = schedule(settings)
    audience = settings["notices.audience"]
    watches = ledger.load_watches(connection)
    known = {key: w.known_at for key, w in watches.items() if w.known_at is not None}
    windows = open_windows(inputs.series, plan, now, known)
    changed = changed_meetings(
        inputs.series, ledger.told_states(connection), watches, audience, now
    )
    if not windows and not changed:
        # Nothing open, nothing changed: the common tick does no work per subscriber.
        return Due(windows={}, deliveries=[], people={})
    people = merge(inputs.subscribers, web_subscribers(connection))
    kinds = [(w.meeting.id, w.kind) for w in windows]
    kinds += [(m.id, notice_kind(m, sequences[m.id])) for m in changed if m.id in sequences]
    finished = ledger.finished(connection, kinds, now)
    venue_windows = [w.meeting.id for w in windows if w.kind == "venue"]
    for meeting_id, heard in ledger.told(connection, venue_windows).items():
        # Whoever was already told of the meeting needs no "venue announced" reminder.
        finished.setdefault((meeting_id, "venue"), set()).update(heard)
    suppressed = ledger.suppressed(connection)
    told = ledger.told(connection, (m.id for m in changed))
    notices = notice_deliveries(
        changed,
        people,
        told,
        sequences,
        watches,
        audience=audience,
        finished=finished,
        suppressed=suppressed,
    )
    reminders = due(windows, people, finished, suppressed)
    return Due(
        windows={(w.meeting.id, w.kind): w for w in windows},
        deliveries=notices + reminders,
        people={person.key: person for person in people},
    )


def send_due(
    settings: Settings,
    now: datetime,
    *,
    inputs: Inputs | None = None,
    dry_run: bool = False,
    transport: Transport | None = None,
    progress: Callable[[int, int], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
    revisions: Mapping[str, Revision] | None = None,
    observed: bool = False,
    clock: Callable[[], datetime] | None = None,
) -> SendReport:
    """Send every delivery due at ``now``; return what happened.

    A caller that keeps state between runs (the daemon) passes the current
    ``revisions`` and ``observed=True`` when it has noted the venues of this
    version of the series already; both only change when the series does.
    Leases are measured by ``clock`` (the real time, in a daemon sharing the
    queue), which defaults to ``now`` standing still.
    """
    inputs = inputs or load_inputs(settings)
    if revisions is None:
        revisions, _ = current_revisions(settings, inputs.series, feed_options(settings), now)
    connection = open_state(settings.state)
    try:
        if not dry_run and not observed:
            observe_venues(connection, inputs.series, now)
        sequences = {key: revision.sequence for key, revision in revisions.items()}
        work = plan_now(connection, inputs, settings, sequences, now)
        report = SendReport(due=len(work.deliveries), skipped=skipped(inputs.series, now))
        if dry_run or not work.deliveries:
            return report
        # Queueing also fails now, before any mail goes, if another process holds the database.
        ledger.enqueue(connection, work.deliveries, now)
        ledger.expire(connection, now)
        if not connection.shared:
            ledger.release_dead(connection, alive)
        me = identity(settings, inputs.series, load_secret(settings.state))
        outbox = transport or open_transport(
            settings["mail.transport"],
            settings.root,
            timeout=settings["mail.timeout"],
            max_per_minute=settings["mail.max_per_minute"],
            helo=inputs.series.domain,
        )
        sender = _Sender(
            connection, inputs.series, work.people, settings, revisions, me, outbox, now
        )
        claims = Claims(connection, settings, work.deliveries, clock or (lambda: now))
        try:
            for delivery in claims.take(stop):
                report.count(delivery, sender.deliver(delivery, claims.holder))
                if progress:
                    progress(report.sent + report.failed + report.retry, len(work.deliveries))
            if claims.stopped:
                report.stopped = "asked to stop"
        except (TransportError, StateError) as error:
            report.stopped, report.error = str(error), error
            log.error("sending stopped: %s; what is due stays due", error)
        finally:
            claims.close()
            if transport is None:
                outbox.close()
        return report
    finally:
        connection.close()


class _Sender:
    """Composes, hands over and records one delivery at a time."""

    def __init__(
        self,
        connection: Database,
        series: Series,
        people: dict[str, Subscriber],
        settings: Settings,
        revisions: Mapping[str, Revision],
        me: Identity,
        transport: Transport,
        now: datetime,
    ) -> None:
        self.connection, self.me, self.transport, self.now = connection, me, transport, now
        self.series = series
        self.people = people
        self.templates = Templates(settings.templates, settings.path("locale"))
        self.locales = settings.path("locale")
        self.allow_drafts: tuple[str, ...] = settings["languages.allow_drafts"]
        self.options = feed_options(settings)
        self.revisions = revisions
        self.meetings = {meeting.id: meeting for meeting in series}
        self.shared: dict[tuple[str, str], dict[str, Any]] = {}
        self.choices: dict[str, list[Language]] = {}
        self.stencils: dict[tuple[object, ...], Letter | Literal[False]] = {}
        self.prototypes: dict[tuple[str, str, str], Prototype] = {}

    def _prototype(self, meeting: Meeting, kind: str, language: str) -> Prototype:
        """The parts of this meeting's message shared by everyone, built once per run."""
        key = (meeting.id, kind, language)
        if key not in self.prototypes:
            calendar = meeting_calendar(self.series, meeting, self.revisions, self.options)
            self.prototypes[key] = Prototype(
                identity=self.me,
                meeting=meeting,
                kind=kind,
                calendar=calendar,
                now=self.now,
                language=language,
            )
        return self.prototypes[key]

    def _shared(self, meeting: Meeting, language: Language) -> dict[str, Any]:
        key = (meeting.id, language.tag)
        if key not in self.shared:
            gettext = self.templates.gettext(language)
            self.shared[key] = shared_context(
                meeting, self.series, self.options, self.now, language.tag, gettext
            )
        return self.shared[key]

    def _letter(
        self, delivery: Delivery, meeting: Meeting, person: Subscriber, links: PersonalLinks
    ) -> Letter:
        """Render in the first usable language of the person's list that renders whole."""
        problems: list[Problem] = []
        if person.language not in self.choices:
            self.choices[person.language] = choose(
                person.languages, self.locales, self.allow_drafts
            )
        for language in self.choices[person.language]:
            try:
                return self._render(delivery, meeting, person, links, language)
            except TemplateProblem as error:
                log.warning(
                    "%s in %s failed to render; trying the next language",
                    delivery.kind,
                    language.tag,
                )
                problems.extend(error.problems)
        raise TemplateProblem(problems)

    def _render_whole(
        self,
        delivery: Delivery,
        meeting: Meeting,
        person: Subscriber,
        links: PersonalLinks,
        language: Language,
    ) -> Letter:
        gettext = self.templates.gettext(language)
        context = message_context(
            meeting,
            person,
            self.series,
            self.options,
            links,
            self.now,
            previous=delivery.previous,
            shared=self._shared(meeting, language),
            language=language.tag,
            gettext=gettext,
        )
        return self.templates.render(template_for(delivery.kind), context, language)

    def _render(
        self,
        delivery: Delivery,
        meeting: Meeting,
        person: Subscriber,
        links: PersonalLinks,
        language: Language,
    ) -> Letter:
        """Render one letter; fast through a checked stencil where the templates allow it.

        Rendering 30-odd gettext calls per message is most of the cost of a batch.
        A stencil is the letter rendered once with markers for the person's name and
        links; each person's letter is the stencil with the markers replaced. The first
        person of each group is also rendered whole and compared: a template that
        does more with these values than print them gets no stencil.
        """
        key = (
            meeting.id,
            template_for(delivery.kind),
            language.tag,
            bool(person.name),
            delivery.previous,
        )
        stencil = self.stencils.get(key)
        if stencil is None:
            whole = self._render_whole(delivery, meeting, person, links, language)
            stand_in = replace(person, name=NAME_MARK if person.name else "")
            marked = self._render_whole(delivery, meeting, stand_in, LINK_MARKS, language)
            filled = fill(marked, person.name, links)
            self.stencils[key] = marked if filled == whole else False
            if filled != whole:
                log.info(
                    "%s in %s: templates use personal values beyond printing them; "
                    "rendering each message whole",
                    delivery.kind,
                    language.tag,
                )
            return whole
        if stencil is False:
            return self._render_whole(delivery, meeting, person, links, language)
        return fill(stencil, person.name, links)

    def deliver(self, delivery: Delivery, holder: str) -> str:
        """Send one delivery and record it; return "sent", "failed" or "retry"."""
        person = self.people[delivery.recipient]
        meeting = self.meetings[delivery.meeting_id]
        links = personal_links(self.me, person.email)
        letter = self._letter(delivery, meeting, person, links)
        prototype = self._prototype(meeting, delivery.kind, letter.language)
        data, message_id = prototype.render(letter, person, links)
        who = mask(person.email)
        try:
            self.transport.send(self.me.sender.addr_spec, person.email, data)
        except TemporaryFailure as error:
            later = ledger.record_retry(self.connection, delivery, str(error), self.now)
            log.warning(
                "%s %s to %s: %s; retry after %s",
                meeting.id,
                delivery.kind,
                who,
                error,
                later.isoformat(timespec="minutes"),
            )
            return "retry"
        except PermanentFailure as error:
            ledger.record_failed(self.connection, delivery, str(error), self.now)
            log.warning("%s %s to %s failed for good: %s", meeting.id, delivery.kind, who, error)
            return "failed"
        held = ledger.record_sent(
            self.connection, delivery, message_id, self.now, Snapshot.of(meeting), holder
        )
        if not held:
            log.warning(
                "%s %s to %s: sent after its claim had passed to another sender; "
                "it may have gone twice",
                meeting.id,
                delivery.kind,
                who,
            )
        log.info("%s %s sent to %s", meeting.id, delivery.kind, who)
        return "sent"
