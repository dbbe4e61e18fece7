"""The daemon: a tick on a cron schedule, run by APScheduler 3 in one process.

A tick reloads the meetings and subscribers if their files changed (keeping
the last good version while a file is invalid), rebuilds the public folder
when the meetings changed (else checks that no one changed its files), and
sends what is due. One tick runs at start, so
windows that opened while the daemon was down are served if still open.
:func:`simulate` runs the same tick over virtual time.

APScheduler is only each process's timer: its job store is in memory and
never shared. On a SQLite state one daemon runs (:func:`hold_lock`); on a
PostgreSQL state any number do, on any hosts, sharing the work through the
ledger's queue and taking turns at rebuilding the public folder.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import IO

from reminders.attendance import public_phrase
from reminders.errors import DataError, ReminderError
from reminders.files import Stamp, stamp_of
from reminders.inputs.meetings import LastReading, Meeting, Series
from reminders.publish.folder import Left
from reminders.publish.pieces import Pieces, pieces_file
from reminders.publish.site import BuildBusy, build, page_environments
from reminders.returned import read_mailbox
from reminders.revisions import Revision, stored_revisions
from reminders.sending import Inputs, SendReport, load_inputs, observe_venues, prepare, send_due
from reminders.settings import Settings
from reminders.store import open_state
from reminders.store.attendance import forget_ended, tallies
from reminders.store.base import Database, describe, is_server
from reminders.store.lineage import check_lineage, mark, marker_for
from reminders.store.told import stored_watches
from reminders.summary import send_summary

__all__ = ["Daemon", "LockError", "hold_lock", "run", "simulate"]

log = logging.getLogger(__name__)


class LockError(ReminderError):
    """Another daemon already uses this state database."""


class Daemon:
    """The tick and the state it keeps between ticks: the last good inputs."""

    def __init__(self, settings: Settings, stop: threading.Event | None = None) -> None:
        self.settings = settings
        self.stop = stop or threading.Event()
        self.inputs: Inputs | None = None
        self.known = LastReading()  # so that a reload reads only the changed meetings
        self.stamps: tuple[Stamp | None, Stamp | None] | None = None
        self.built: Inputs | None = None
        self.revisions: Mapping[str, Revision] = {}
        # Every stored revision and venue watch, read again only when another process wrote.
        self.stored_revisions, self.stored_watches = stored_revisions(), stored_watches()
        self.crowd: dict[str, tuple[str, int] | None] = {}  # the public counts last built
        # The feeds' events, kept between rebuilds so an edit serializes only what it changed.
        self.pieces = Pieces.load(pieces_file(settings.public))
        self.builds = 0  # the public folder's rebuilds so far
        self.left = Left()  # what the last rebuild left in the public folder
        self.envs = page_environments(settings.templates, settings.locale, settings.allow_drafts)

    def reload(self) -> Inputs | None:
        """Read the input files if they changed; keep the last good ones if invalid."""
        stamps = (stamp_of(self.settings.meetings), stamp_of(self.settings.subscribers))
        if stamps == self.stamps and self.inputs is not None:
            return self.inputs
        try:
            fresh = load_inputs(self.settings, self.known)
        except DataError as error:
            # One line per event, so journald keeps it whole.
            problems = " | ".join(str(problem) for problem in error.problems)
            log.error("invalid input, keeping the last good version: %s", problems)
            return self.inputs
        finally:
            self.stamps = stamps
        if self.inputs is not None:
            log.info(
                "reloaded %d meetings and %d subscribers", len(fresh.series), len(fresh.subscribers)
            )
        self.inputs = fresh
        return fresh

    def tick(self, now: datetime, clock: Callable[[], datetime] | None = None) -> SendReport | None:
        """Reload, rebuild if the meetings changed, send what is due: one store for it all.

        ``clock`` tells the real time for leases; without it, ``now`` stands still.
        """
        inputs = self.reload()
        if inputs is None:
            log.error("no valid meetings and subscribers yet; nothing to do")
            return None
        clock = clock or (lambda: now)
        built = self.builds
        with open_state(self.settings.state) as db:
            if self.built is None or self.built.series != inputs.series:
                self._rebuild(db, inputs, now, clock)
            elif changed := self.left.check(self.settings.public):
                log.warning("public folder: %d files changed outside the daemon", len(changed))
                self.built = None  # till a build puts them back: their record is gone
                self._rebuild(db, inputs, now, clock)
            report = send_due(
                db,
                self.settings,
                inputs,
                self.revisions,
                now,
                stop=self.stop.is_set,
                clock=clock,
                stored=self.stored_watches,
            )
            if self.settings.bounces.mailbox is not None:
                self._read_bounces(db, self.settings.bounces.mailbox, inputs, now)
            self._attendance(db, inputs, now, clock)
        if self.builds == built:  # a tick that publishes an edit does not wait for this
            self.pieces.flush()
        if report.due:
            log.info(
                "tick: %d due, %d sent, %d failed, %d to retry",
                report.due,
                report.sent,
                report.failed,
                report.retry,
            )
        return report

    def _read_bounces(
        self, db: Database, mailbox: Path | str, inputs: Inputs, now: datetime
    ) -> None:
        try:
            taken = read_mailbox(db, mailbox, inputs.series.domain, self.settings.bounces, now)
        except (OSError, ReminderError) as error:
            log.error("bounce mailbox unreadable: %s", error)
            return
        if taken.read:
            log.info("bounces: %d read, %d addresses suppressed", taken.read, taken.suppressed)

    def _attendance(
        self, db: Database, inputs: Inputs, now: datetime, clock: Callable[[], datetime]
    ) -> None:
        """Forget the answers of ended meetings, tell the organizers, refresh public counts."""
        if forgotten := forget_ended(db, now, {m.id: m.end for m in inputs.series}):
            log.info("attendance: %d answers of ended meetings forgotten, counts kept", forgotten)
        send_summary(db, self.settings, inputs.series, now)
        if self.settings.attendance.public:
            crowd = {key: public_phrase(t.expected) for key, t in tallies(db).items()}
            if crowd != self.crowd:
                self.crowd = crowd
                self._rebuild(db, inputs, now, clock)

    def _rebuild(
        self, db: Database, inputs: Inputs, now: datetime, clock: Callable[[], datetime]
    ) -> None:
        settings = self.settings
        try:
            result = build(
                db,
                inputs.series,
                options=settings.feed_options,
                envs=self.envs,
                folder=settings.public,
                now=now,
                clock=clock,
                public_counts=settings.attendance.public,
                pieces=self.pieces,
                left=self.left,
                stored=self.stored_revisions,
            )
        except BuildBusy:
            # Another daemon is at it; send with the revisions it stores, and build next tick.
            log.info("another daemon is rebuilding the public folder; this one will next tick")
            self.revisions = prepare(db, settings, inputs.series, now, save=False)
            return
        # Revisions and venue watches change only with the series: keep them till then.
        self.builds += 1
        self.revisions = result.revisions
        observe_venues(db, self._changed(inputs.series), now, self.stored_watches)
        mark(db, marker_for(settings.public))
        self.built = inputs
        if result.written or result.removed:
            log.info(
                "public folder: %d files written, %d removed",
                len(result.written),
                len(result.removed),
            )

    def _changed(self, series: Series) -> list[Meeting]:
        """The meetings not in the last series built, as objects (see :class:`LastReading`)."""
        if self.built is None:
            return list(series)
        before = {meeting.id: meeting for meeting in self.built.series}
        return [meeting for meeting in series if before.get(meeting.id) is not meeting]


def hold_lock(state: Path) -> IO[str]:
    """Take the SQLite state file's lock for this process, or raise :class:`LockError`."""
    path = state.with_name(state.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise LockError(
            f"{state} is in use by another `reminders run` (pid {owner}); only one daemon "
            "may use a SQLite state file (several may share a PostgreSQL one)"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def run(settings: Settings, every: float | None = None, fresh_state: bool = False) -> None:
    """Run the daemon until SIGTERM or SIGINT.

    A new, empty state database where an earlier one was used stops it at
    once, unless ``fresh_state`` (see :mod:`reminders.store.lineage`).
    """
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    state = settings.state
    lock = None if is_server(state) else hold_lock(Path(state))
    with open_state(state) as db:
        check_lineage(db, marker_for(settings.public), fresh_state)
    daemon = Daemon(settings)
    first = daemon.reload()
    zone = first.series.timezone if first else UTC
    scheduler = BlockingScheduler(timezone=zone)
    trigger = (
        IntervalTrigger(seconds=every, timezone=zone)
        if every
        else CronTrigger.from_crontab(settings.reminders.schedule, timezone=zone)
    )

    idle = threading.Event()  # no tick running: what it sent is recorded
    idle.set()

    def tick() -> None:
        idle.clear()
        try:
            daemon.tick(datetime.now(UTC), clock=lambda: datetime.now(UTC))
        except ReminderError as error:
            log.error("tick failed: %s", error)
        except Exception:  # never let one tick stop the later ones: log it whole, go on
            log.exception("tick failed unexpectedly; the next tick will try again")
        finally:
            idle.set()

    def finish(signum: int, frame: FrameType | None) -> None:
        log.info(
            "received %s: finishing the message in flight, then stopping",
            signal.Signals(signum).name,
        )
        daemon.stop.set()
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    scheduler.add_job(
        tick,
        trigger,
        id="tick",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=datetime.now(zone),
    )
    log.info(
        "daemon started: schedule %s, state %s",
        f"every {every}s" if every else settings.reminders.schedule,
        describe(settings.state),
    )
    try:
        scheduler.start()
        # The scheduler returns at once; the tick in flight finishes its message and
        # records it before the process may end (and before we say it has stopped).
        if idle.wait(timeout=settings.mail.timeout + 30):  # else a tick still holds them
            daemon.pieces.flush()
    finally:
        if lock is not None:
            lock.close()
    log.info("daemon stopped")


def _steps(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    moment = start
    while moment <= end:
        yield moment
        moment += step


def simulate(
    settings: Settings,
    start: datetime,
    end: datetime,
    step: timedelta,
    emit: Callable[[datetime, SendReport], None],
) -> None:
    """Run the tick at each step of virtual time, reporting the ticks that sent anything."""
    daemon = Daemon(settings)
    for moment in _steps(start.astimezone(UTC), end.astimezone(UTC), step):
        report = daemon.tick(moment)
        if report is not None and report.outcomes:
            emit(moment, report)
        if report is not None and report.stopped:
            raise ReminderError(f"simulation stopped at {moment.isoformat()}: {report.stopped}")
    daemon.pieces.flush()  # as a daemon does when it stops
