"""Confirmation emails, sent from a background thread.

The request never waits on the mail server, so its timing says nothing
about the address. The mailer reads the time from the application's clock,
so replays and tests see the moment they set.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from reminders.errors import DataError
from reminders.i18n.languages import choose
from reminders.inputs.meetings import Series
from reminders.inputs.subscribers import Subscriber
from reminders.mail.assembly import compose_confirmation
from reminders.mail.handover import TransportError
from reminders.mail.templates import Templates
from reminders.mail.transports import open_transport
from reminders.sending import identity
from reminders.settings import Settings
from reminders.store.signups import CONFIRM_FOR
from reminders.tokens import Secret

__all__ = ["Confirmation", "Mailer"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """One confirmation to send: to whom, for which pending sign-up, with which link."""

    person: Subscriber
    signup_id: str
    url: str


class Mailer:
    """Sends each queued confirmation on its own thread, one at a time."""

    def __init__(
        self,
        settings: Settings,
        series: Callable[[], Series],
        secret: Secret,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings, self.series, self.secret, self.clock = settings, series, secret, clock
        self.templates = Templates(settings.templates / "email", settings.locale)
        self.jobs: queue.Queue[Confirmation] = queue.Queue()
        threading.Thread(target=self._work, name="confirmations", daemon=True).start()

    def send(self, job: Confirmation) -> None:
        self.jobs.put(job)

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                self._deliver(job)
            except (TransportError, DataError, OSError) as error:
                log.error("confirmation email not sent: %s", error)

    def _deliver(self, job: Confirmation) -> None:
        settings, series = self.settings, self.series()
        me = identity(settings, series, self.secret)
        context = {
            "name": job.person.name,
            "confirm_url": job.url,
            "cities": sorted(job.person.cities),
            "series": {"name": series.name},
            "expires_hours": int(CONFIRM_FOR.total_seconds() // 3600),
        }
        wanted = choose(job.person.languages, settings.locale, settings.allow_drafts)
        letter = self.templates.render("confirm", context, wanted[0])
        message = compose_confirmation(
            letter, identity=me, subscriber=job.person, signup_id=job.signup_id, now=self.clock()
        )
        transport = open_transport(
            settings.mail.transport,
            settings.root,
            timeout=settings.mail.timeout,
            helo=series.domain,
        )
        try:
            transport.send(me.sender.addr_spec, job.person.email, message.as_bytes())
        finally:
            transport.close()
