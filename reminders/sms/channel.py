"""The text channel's part of a run: who may be texted, when, and asking for consent.

A person who chose texts is a recipient of their own on the channel (their
key is ``sms:`` and the number), so the plan, the ledger's exactly-once, the
queue and suppression work per channel unchanged. Only a number whose YES is
recorded gets reminders; until then it gets the consent question, once. No
text goes in quiet hours, local to the meeting (the series' zone for the
question); what is due then waits for their end, if its window is still open.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence, Set
from datetime import datetime, timedelta

from reminders.inputs.meetings import Series
from reminders.inputs.subscribers import Subscriber
from reminders.mail.handover import PermanentFailure, TemporaryFailure
from reminders.mail.templates import TemplateProblem
from reminders.plan import Delivery
from reminders.sender import TextChannel
from reminders.settings import Settings, SmsSettings
from reminders.sms.messages import TextBatch, Texts
from reminders.sms.numbers import mask_number
from reminders.sms.rules import quiet
from reminders.sms.transports import open_texts
from reminders.store import consent, ledger
from reminders.store.base import Database

__all__ = ["ask_consent", "audience", "open_channel", "outside_quiet"]

log = logging.getLogger(__name__)


def audience(db: Database, people: Iterable[Subscriber], texting: bool) -> list[Subscriber]:
    """Every recipient: each person once per chosen channel, texts only after a YES."""
    given = {key for key, state in consent.consents(db).items() if state == "given"}
    return [v for p in people for v in p.views(texting) if v.email or v.key in given]


def outside_quiet(
    deliveries: Sequence[Delivery], series: Series, sms: SmsSettings, now: datetime
) -> list[Delivery]:
    """The deliveries that may go now: texts wait out their meeting's quiet hours."""
    texted = {d.meeting_id for d in deliveries if d.recipient.startswith("sms:")}
    zones = {meeting.id: meeting.zone for meeting in series if meeting.id in texted}
    return [
        d
        for d in deliveries
        if not d.recipient.startswith("sms:")
        or not quiet(now, zones[d.meeting_id], sms.quiet_start, sms.quiet_end)
    ]


def open_channel(settings: Settings, series: Series) -> TextChannel:
    """The run's text renderer and transport, as ``[sms]`` has them."""
    sms = settings.sms
    transport = open_texts(
        sms.provider,
        sms.transport,
        settings.root,
        api_url=sms.api_url,
        sender=sms.sender,
        messaging_service=sms.messaging_service,
        per_second=sms.max_per_second,
        timeout=settings.mail.timeout,
    )
    batch = TextBatch(
        Texts(settings.templates, settings.locale), series, settings.base_url, settings.allow_drafts
    )
    callback = f"{settings.base_url}sms/status" if sms.provider == "twilio" else None
    return TextChannel(batch=batch, transport=transport, callback=callback)


def needing_question(
    db: Database, people: Iterable[Subscriber], suppressed: Set[str]
) -> list[Subscriber]:
    """The people who chose texts and were never asked (nor stopped them)."""
    known = consent.consents(db)
    return [
        p.by_text()
        for p in people
        if p.phone
        and "sms" in p.channels
        and f"sms:{p.phone}" not in known
        and f"sms:{p.phone}" not in suppressed
    ]


def ask_consent(
    db: Database,
    people: Iterable[Subscriber],
    settings: Settings,
    series: Series,
    channel: TextChannel,
    now: datetime,
) -> int:
    """Send each number that chose texts the consent question, once; return how many went."""
    sms = settings.sms
    if quiet(now, series.timezone, sms.quiet_start, sms.quiet_end):
        return 0
    # A question claimed by a run that died before it could say how it went is asked again.
    consent.release_stale(db, now - timedelta(hours=1))
    sent = 0
    for person in needing_question(db, people, ledger.suppressed(db)):
        if not consent.claim_question(db, person.key, person.sms_consent or "web form", now):
            continue
        try:
            body = channel.batch.question(person)
            channel.transport.send(person.phone, body, None)
        except (TemporaryFailure, TemplateProblem) as error:
            consent.release_question(db, person.key)
            log.warning("consent question to %s waits: %s", mask_number(person.phone), error)
            continue
        except PermanentFailure as error:
            consent.release_question(db, person.key)
            ledger.suppress(db, person.key, "number cannot get texts", now)
            log.warning("%s cannot get texts: %s", mask_number(person.phone), error)
            continue
        except BaseException:
            consent.release_question(db, person.key)
            raise
        consent.question_sent(db, person.key)
        sent += 1
    if sent:
        log.info("asked %d numbers to reply YES before any text", sent)
    return sent
