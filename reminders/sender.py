"""Handing over one delivery and recording it: the executor's hands.

Each message is made by the run's :class:`~reminders.mail.batch.Batch`,
signed if DKIM is asked for, handed over with a return path that names the
delivery, and its outcome recorded in its own transaction before the next
message goes, so a crash repeats at most the message in flight.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from reminders.inputs.meetings import Series, Snapshot
from reminders.inputs.subscribers import Subscriber
from reminders.mail.batch import Batch
from reminders.mail.handover import PermanentFailure, TemporaryFailure, Transport
from reminders.mail.returns import return_path
from reminders.mail.signing import Signer
from reminders.plan import Delivery
from reminders.privacy import mask
from reminders.store import ledger
from reminders.store.base import Database

__all__ = ["Sender"]

log = logging.getLogger(__name__)


class Sender:
    """Hands over and records one delivery at a time."""

    def __init__(
        self,
        db: Database,
        series: Series,
        people: Mapping[str, Subscriber],
        batch: Batch,
        transport: Transport,
        now: datetime,
        signer: Signer | None = None,
    ) -> None:
        self.db, self.batch, self.transport, self.now = db, batch, transport, now
        self.signer = signer
        self.people = people
        self.meetings = {meeting.id: meeting for meeting in series}
        self.bounce = batch.bounce

    def deliver(self, delivery: Delivery, holder: str) -> str:
        """Send one delivery and record it; return "sent", "failed" or "retry"."""
        person = self.people[delivery.recipient]
        meeting = self.meetings[delivery.meeting_id]
        data, message_id = self.batch.message(meeting, delivery.kind, person, delivery.previous)
        if self.signer is not None:
            data = self.signer.sign(data)  # last: the message is final
        who = mask(person.email)
        self.db.still_there()  # a deleted ledger must stop the run before the next message
        try:
            # VERP: the return path names this delivery, so a bounce can be matched to it.
            self.transport.send(return_path(self.bounce, message_id), person.email, data)
        except TemporaryFailure as error:
            later = ledger.record_retry(self.db, delivery, str(error), self.now)
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
            ledger.record_failed(self.db, delivery, str(error), self.now)
            log.warning("%s %s to %s failed for good: %s", meeting.id, delivery.kind, who, error)
            return "failed"
        held = ledger.record_sent(
            self.db, delivery, message_id, self.now, Snapshot.of(meeting), holder
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
