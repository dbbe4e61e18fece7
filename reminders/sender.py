"""Handing over one delivery and recording it: the executor's hands.

Each email is made by the run's :class:`~reminders.mail.batch.Batch`,
signed if DKIM is asked for, handed over with a return path that names the
delivery; each text is made by the run's text batch and handed to the text
provider, whose id for it is kept as its Message-ID. Either outcome is
recorded in its own transaction before the next message goes, so a crash
repeats at most the message in flight.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from reminders.inputs.meetings import Meeting, Series, Snapshot
from reminders.inputs.subscribers import Subscriber
from reminders.mail.batch import Batch
from reminders.mail.handover import (
    PermanentFailure,
    TemporaryFailure,
    Transport,
    TransportError,
)
from reminders.mail.returns import return_path
from reminders.mail.signing import Signer
from reminders.plan import Delivery
from reminders.privacy import mask
from reminders.sms.messages import TextBatch
from reminders.sms.numbers import mask_number
from reminders.sms.transports import SmsTransport
from reminders.store import ledger
from reminders.store.base import Database

__all__ = ["Sender", "TextChannel"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TextChannel:
    """What the sender needs to text: the renderer, the transport, the status callback."""

    batch: TextBatch
    transport: SmsTransport
    callback: str | None


class Sender:
    """Hands over and records one delivery at a time, by email or by text."""

    def __init__(
        self,
        db: Database,
        series: Series,
        people: Mapping[str, Subscriber],
        batch: Batch,
        transport: Transport,
        now: datetime,
        signer: Signer | None = None,
        texts: TextChannel | None = None,
    ) -> None:
        self.db, self.batch, self.transport, self.now = db, batch, transport, now
        self.signer, self.texts = signer, texts
        self.people = people
        self.meetings = {meeting.id: meeting for meeting in series}
        self.bounce = batch.bounce

    def _email(self, meeting: Meeting, delivery: Delivery, person: Subscriber) -> Callable[[], str]:
        data, message_id = self.batch.message(meeting, delivery.kind, person, delivery.previous)
        if self.signer is not None:
            data = self.signer.sign(data)  # last: the message is final

        def hand_over() -> str:
            # VERP: the return path names this delivery, so a bounce can be matched to it.
            self.transport.send(return_path(self.bounce, message_id), person.email, data)
            return message_id

        return hand_over

    def _text(self, meeting: Meeting, delivery: Delivery, person: Subscriber) -> Callable[[], str]:
        channel = self.texts
        if channel is None:
            raise TransportError("a text is due but no text provider is set")
        body = channel.batch.text(meeting, delivery.kind, person)
        return lambda: channel.transport.send(person.phone, body, channel.callback)

    def deliver(self, delivery: Delivery, holder: str) -> str:
        """Send one delivery and record it; return "sent", "failed" or "retry"."""
        person = self.people[delivery.recipient]
        meeting = self.meetings[delivery.meeting_id]
        if person.email:
            hand_over, who = self._email(meeting, delivery, person), mask(person.email)
        else:
            hand_over, who = self._text(meeting, delivery, person), mask_number(person.phone)
        self.db.still_there()  # a deleted ledger must stop the run before the next message
        try:
            message_id = hand_over()
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
            if not person.email:  # a number that cannot get texts, as a hard bounce
                ledger.suppress(self.db, person.key, "number cannot get texts", self.now)
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
