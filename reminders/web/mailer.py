"""Confirmation emails, sent by a background thread from the queue in the store.

The request never waits on the mail server, so its timing says nothing about
the address. The thread never dies and never goes quiet: each confirmation's
failure is caught, logged once (addresses masked), and retried with backoff
(a 4xx, a dropped connection, an unreachable server) or given up (a 5xx);
the queue lives in the state store (:mod:`reminders.store.confirmations`), so
a restart of ``serve`` loses nothing. Times come from the application's
clock, so replays and tests see the moment they set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

from reminders.i18n.languages import choose
from reminders.inputs.meetings import Series
from reminders.mail.assembly import compose_confirmation
from reminders.mail.handover import PermanentFailure, Transport, TransportError
from reminders.mail.templates import Templates
from reminders.mail.transports import open_transport
from reminders.privacy import mask
from reminders.sending import identity
from reminders.settings import Settings
from reminders.store import open_state
from reminders.store.base import Database
from reminders.store.confirmations import (
    Pending,
    due_confirmations,
    record_failed,
    record_retry,
    record_sent,
)
from reminders.store.signups import CONFIRM_FOR
from reminders.tokens import Secret, sign

__all__ = ["Mailer"]

log = logging.getLogger(__name__)

# How often the thread looks for retries that came due, when no sign-up wakes it.
POLL_SECONDS = 20.0


class Mailer:
    """Sends the queued confirmations on its own thread."""

    def __init__(
        self,
        settings: Settings,
        series: Callable[[], Series],
        secret: Secret,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings, self.series, self.secret, self.clock = settings, series, secret, clock
        self.templates = Templates(settings.email_templates, settings.locale)
        self.woken = threading.Event()
        self.idle = threading.Event()
        threading.Thread(target=self._work, name="confirmations", daemon=True).start()

    def wake(self) -> None:
        """Look at the queue now (a sign-up was just queued)."""
        self.idle.clear()
        self.woken.set()

    def _work(self) -> None:
        while True:
            self.woken.clear()
            try:
                self.send_due()
            except Exception:  # never die: whatever broke is tried again on the next pass
                log.exception("confirmation emails: unexpected error; trying again shortly")
            self.idle.set()
            self.woken.wait(POLL_SECONDS)

    def send_due(self) -> int:
        """Send every confirmation due now; return how many went."""
        with open_state(self.settings.state) as db:
            due = due_confirmations(db, self.clock())
            if not due:
                return 0
            settings, series = self.settings, self.series()
            transport = open_transport(
                settings.mail.transport,
                settings.root,
                timeout=settings.mail.timeout,
                helo=series.domain,
            )
            try:
                return sum(self._send_one(db, transport, series, pending) for pending in due)
            except TransportError as error:
                log.warning("confirmation emails wait: %s", error)
                return 0
            finally:
                transport.close()

    def _send_one(self, db: Database, transport: Transport, series: Series, job: Pending) -> bool:
        now, who = self.clock(), mask(job.person.email)
        try:
            me = identity(self.settings, series, self.secret)
            transport.send(me.sender.addr_spec, job.person.email, self._message(job, series))
        except PermanentFailure as error:
            record_failed(db, job.signup_id, str(error), now)
            log.warning("confirmation to %s refused for good: %s", who, error)
            return False
        except TransportError as error:  # the session failed: this and the rest wait
            record_retry(db, job, str(error), now)
            raise
        except Exception as error:  # a 4xx, a drop, or anything unforeseen: retry later
            later = record_retry(db, job, str(error), now)
            log.warning("confirmation to %s: %s; retry after %s", who, error, later.isoformat())
            return False
        record_sent(db, job.signup_id)
        return True

    def _message(self, job: Pending, series: Series) -> bytes:
        token = sign(self.secret, job.signup_id, "confirm", job.expires)
        context = {
            "name": job.person.name,
            "confirm_url": f"{self.settings.base_url}confirm?token={quote(token)}",
            "cities": sorted(job.person.cities),
            "series": {"name": series.name},
            "expires_hours": int(CONFIRM_FOR.total_seconds() // 3600),
        }
        wanted = choose(job.person.languages, self.settings.locale, self.settings.allow_drafts)
        letter = self.templates.render("confirm", context, wanted[0])
        message = compose_confirmation(
            letter,
            identity=identity(self.settings, series, self.secret),
            subscriber=job.person,
            signup_id=job.signup_id,
            now=self.clock(),
        )
        return message.as_bytes()
