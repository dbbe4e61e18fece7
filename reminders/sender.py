"""Handing over one delivery and recording it: the executor's hands.

Each email is made by the run's :class:`~reminders.mail.batch.Batch`,
signed if DKIM is asked for, handed over with a return path that names the
delivery; each text is made by the run's text batch and handed to the text
provider, whose id for it is kept as its Message-ID. Either outcome is
recorded in its own transaction before the next message goes, so a crash
repeats at most the message in flight.

Making a message is pure work, and handing one over is mostly waiting for the
server: a single composer thread makes the next two the claims say are coming.
It is given them once the message before is on its way (its end written, or
the whole handed over), so that it works while the server reads, not while
this thread records the message before, which the next one's end must wait
for. All making happens on that thread (the batch's caches are never shared
between threads); the database and the transport stay on the caller's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from reminders.inputs.meetings import Meeting, Series, Snapshot
from reminders.inputs.subscribers import Subscriber
from reminders.mail.batch import Batch
from reminders.mail.handover import (
    Envelope,
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
from reminders.store import ledger, queue
from reminders.store.base import Database

__all__ = ["Sender", "TextChannel"]

log = logging.getLogger(__name__)

# Sends one made message, calling its argument before the message itself goes.
HandOver = Callable[[Callable[[], None]], str]


@dataclass(frozen=True, slots=True)
class _Made:
    """A made message: how it is handed over, and its envelope when it goes by email."""

    hand_over: HandOver
    envelope: Envelope | None = None


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
        self.composer = ThreadPoolExecutor(1, thread_name_prefix="composer")
        self.ahead: dict[queue.Key, Future[_Made]] = {}  # the next ones, made or being made
        self.coming: list[Delivery] = []  # the next ones, to make once this one is on its way
        self.next: queue.Key | None = None  # the one expected next
        self.pending: Callable[[], None] | None = None

    def close(self) -> None:
        """Record what is still unrecorded; stop the composer, dropping what it made ahead."""
        try:
            self.settle()
        finally:
            self.composer.shutdown(wait=True, cancel_futures=True)
            self.ahead, self.coming = {}, []

    def _make(self, delivery: Delivery) -> _Made:
        """The delivery's hand-over, with its message made (on the composer thread)."""
        person = self.people[delivery.recipient]
        meeting = self.meetings[delivery.meeting_id]
        if person.email:
            return self._email(meeting, delivery, person)
        return self._text(meeting, delivery, person)

    def _made(self, delivery: Delivery, upcoming: Sequence[Delivery]) -> _Made:
        """The delivery, made; those ``upcoming`` are kept, or made once it is on its way."""
        guessed, self.ahead, self.coming = self.ahead, {}, []
        made = guessed.pop(queue.key(delivery), None) or self.composer.submit(self._make, delivery)
        expected = [coming for coming in upcoming if coming.recipient in self.people]
        self.next = queue.key(expected[0]) if expected else None
        for coming in expected:
            kept = guessed.pop(queue.key(coming), None)
            if kept is None:
                self.coming.append(coming)
            else:
                self.ahead[queue.key(coming)] = kept
        for dropped in guessed.values():  # guesses that did not come true
            dropped.cancel()
        return made.result()

    def _make_coming(self) -> None:
        """Give the composer the deliveries expected next that it has not been given."""
        coming, self.coming = self.coming, []
        for delivery in coming:
            self.ahead[queue.key(delivery)] = self.composer.submit(self._make, delivery)

    def _email(self, meeting: Meeting, delivery: Delivery, person: Subscriber) -> _Made:
        data, message_id = self.batch.message(meeting, delivery.kind, person, delivery.previous)
        if self.signer is not None:
            data = self.signer.sign(data)  # last: the message is final
        # VERP: the return path names this delivery, so a bounce can be matched to it.
        envelope = Envelope(return_path(self.bounce, message_id), person.email)

        def hand_over(ready: Callable[[], None]) -> str:
            self.transport.send(*envelope, data, ready, self._following)
            return message_id

        return _Made(hand_over, envelope)

    def _following(self) -> Envelope | None:
        """The envelope of the next message, if it is made by now (asked as this one's end goes)."""
        self._make_coming()
        made = self.ahead.get(self.next) if self.next is not None else None
        if made is None or not made.done() or made.cancelled():
            return None
        return None if made.exception() is not None else made.result().envelope

    def _text(self, meeting: Meeting, delivery: Delivery, person: Subscriber) -> _Made:
        channel = self.texts
        if channel is None:
            raise TransportError("a text is due but no text provider is set")
        body = channel.batch.text(meeting, delivery.kind, person)

        def hand_over(ready: Callable[[], None]) -> str:
            ready()
            return channel.transport.send(person.phone, body, channel.callback)

        return _Made(hand_over)

    def deliver(self, delivery: Delivery, holder: str, upcoming: Sequence[Delivery] = ()) -> str:
        """Send one delivery and record it; return "sent", "failed" or "retry".

        ``upcoming`` are the deliveries likely to come next, in turn. Those not
        made yet are made while this one's end is with the server, so that each
        is made a whole message ahead and its envelope can go with the end of
        the one before.
        """
        person = self.people[delivery.recipient]
        meeting = self.meetings[delivery.meeting_id]
        who = mask(person.email) if person.email else mask_number(person.phone)
        try:
            made = self._made(delivery, upcoming)
            try:
                message_id = made.hand_over(self.ready)
            except TemporaryFailure as error:
                self.settle()
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
                self.settle()
                ledger.record_failed(self.db, delivery, str(error), self.now)
                if not person.email:  # a number that cannot get texts, as a hard bounce
                    ledger.suppress(self.db, person.key, "number cannot get texts", self.now)
                log.warning(
                    "%s %s to %s failed for good: %s", meeting.id, delivery.kind, who, error
                )
                return "failed"
        finally:
            self._make_coming()  # if the transport did not ask for what follows
            self.settle()  # whatever happened, the message before this one is on record
        self.pending = lambda: self._record(delivery, meeting, message_id, holder, who)
        log.info("%s %s sent to %s", meeting.id, delivery.kind, who)
        return "sent"

    def ready(self) -> None:
        """What must hold before a message goes, done while the server is reading.

        A deleted ledger stops the run before the message; the one before it is
        put on record.
        """
        self.db.still_there()
        self.settle()

    def settle(self) -> None:
        """Record the message last accepted, if not yet on record.

        A transport calls this once the next message's envelope is on its way,
        before any of that message goes: where the server pipelines, the record
        is written while it reads and answers the envelope, and a crash still
        repeats at most one message.
        """
        pending, self.pending = self.pending, None
        if pending is not None:
            pending()

    def _record(
        self, delivery: Delivery, meeting: Meeting, message_id: str, holder: str, who: str
    ) -> None:
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
