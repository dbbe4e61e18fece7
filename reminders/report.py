"""Reports for the terminal: the plan, the status of deliveries, a preview message.

Each is handed the open store and the inputs, asks the pure core, and
returns text or bytes; the command line only prints. Addresses never appear
in these reports: counts do.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from email.message import EmailMessage

from reminders.attendance import Tally
from reminders.errors import UsageError
from reminders.i18n.languages import choose
from reminders.inputs.meetings import Meeting, Snapshot, Status
from reminders.inputs.subscribers import Subscriber
from reminders.kinds import Kind
from reminders.mail.batch import Batch
from reminders.mail.templates import Templates
from reminders.plan import skipped, upcoming
from reminders.revisions import Revision
from reminders.sending import Due, Inputs, identity, plan_now, schedule
from reminders.settings import Settings
from reminders.sms.costs import plan_lines
from reminders.sms.messages import Texts
from reminders.store import ledger, queue
from reminders.store.attendance import tallies
from reminders.store.base import Database
from reminders.store.bounces import bounce_counts
from reminders.store.confirmations import confirmation_counts
from reminders.store.secret import load_secret
from reminders.store.signups import merge, web_subscribers
from reminders.terminal import render_table

__all__ = ["attendance_table", "plan_report", "preview_message", "status_report"]


def _people(db: Database, inputs: Inputs, work: Due) -> list[Subscriber]:
    """Everyone on the list: the plan's when it read them, else read now.

    The plan reads the people only when something is due, to keep idle ticks cheap;
    a report needs them either way.
    """
    if work.people:
        return list(work.people.values())
    return merge(inputs.subscribers, web_subscribers(db))


def _local(moment: datetime, meeting: Meeting) -> str:
    return f"{moment.astimezone(meeting.zone):%a %Y-%m-%d %H:%M %Z}"


def _sequences(revisions: Mapping[str, Revision]) -> dict[str, int]:
    return {key: revision.sequence for key, revision in revisions.items()}


def plan_report(
    db: Database,
    settings: Settings,
    inputs: Inputs,
    revisions: Mapping[str, Revision],
    now: datetime,
    days: int,
) -> str:
    """The windows open now and opening within ``days``, with the people each will reach.

    "Due now" counts what `send` would send at this moment (the same
    computation); a window ahead counts the people it would reach if it opened
    now, and how many of those left the list. Then what is skipped, and why.
    """
    work = plan_now(db, inputs, settings, _sequences(revisions), now)
    suppressed = ledger.suppressed(db)
    known = work.known
    people = _people(db, inputs, work)
    rows: list[tuple[str, str, str, str, str, str]] = []
    due_now: dict[tuple[str, Kind], int] = {}
    texted: list[tuple[Meeting, str]] = []  # what each row would text
    for delivery in work.deliveries:
        key = (delivery.meeting_id, delivery.kind)
        due_now[key] = due_now.get(key, 0) + 1
    for (meeting_id, kind), count in sorted(due_now.items()):
        meeting = inputs.series.get(meeting_id)
        if kind.is_notice and meeting is not None:
            rows.append((_local(now, meeting), meeting_id, kind.label, str(count), "-", "due now"))
            texted.append((meeting, kind.family.template))
    horizon = now + timedelta(days=days)
    plan = schedule(settings)
    for window in upcoming(inputs.series, plan, now, horizon, known):
        meeting = window.meeting
        wanting = [p for p in people if p.wants(meeting.city)]
        left = sum(p.key in suppressed for p in wanting)
        if window.is_open(now):
            count, state = due_now.get((meeting.id, window.kind), 0), "due now"
        else:
            count, state = len(wanting) - left, "scheduled"
        when = _local(window.opens, meeting)
        rows.append((when, meeting.id, window.kind.label, str(count), str(left), state))
        texted.append((meeting, window.kind.family.template))
    lines = [f"Plan at {now.isoformat(timespec='minutes')}, {days} days ahead:"]
    header = ("When", "Meeting", "Reminder", "Recipients", "Unsubscribed", "State")
    lines.append(render_table(header, rows) if rows else "nothing due or scheduled")
    if settings.sms.enabled and rows:
        lines += ["", "Texts (segments per message, in each texting reader's language):"]
        lines.append(render_table(*_text_costs(settings, inputs, people, texted)))
    skips = skipped(inputs.series, now, plan, known)
    if skips:
        lines += ["", "Skipped:"] + [f"  {s.meeting.id}: {s.reason}" for s in skips]
    return "\n".join(lines)


def _text_costs(
    settings: Settings, inputs: Inputs, people: list[Subscriber], items: list[tuple[Meeting, str]]
) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    texts = Texts(settings.templates, settings.locale)
    readers = [p for p in people if "sms" in p.channels and p.phone] or [Subscriber(email="")]
    chosen = {choose(p.languages, settings.locale, settings.allow_drafts)[0] for p in readers}
    languages = sorted(chosen, key=lambda language: language.tag)
    found = plan_lines(texts, inputs.series, settings.base_url, languages, items)
    return ("Meeting", "Text", "Language", "Segments", "Encoding"), found


def status_report(
    db: Database,
    settings: Settings,
    inputs: Inputs,
    revisions: Mapping[str, Revision],
    now: datetime,
) -> str:
    """Per meeting: reminders sent, failed, retrying, pending now, and suppressed people.

    Then, per sender (host:pid), the deliveries it has claimed and not yet
    recorded, and how many of those claims have an expired lease: a sender
    that died or hangs, whose work another sender will take.
    """
    counts = ledger.counts(db)
    work = plan_now(db, inputs, settings, _sequences(revisions), now)
    suppressed = ledger.suppressed(db)
    claims = queue.claims(db, now)
    people = _people(db, inputs, work)
    pending: dict[str, int] = {}
    for delivery in work.deliveries:
        pending[delivery.meeting_id] = pending.get(delivery.meeting_id, 0) + 1
    rows = []
    for meeting in inputs.series:
        c = counts.get(meeting.id, ledger.MeetingCounts(meeting_id=meeting.id))
        blocked = sum(p.wants(meeting.city) and p.key in suppressed for p in people)
        rows.append(
            (
                meeting.id,
                str(c.sent),
                str(c.failed),
                str(c.retry),
                str(pending.get(meeting.id, 0)),
                str(blocked),
            )
        )
    header = ("Meeting", "Sent", "Failed", "Retrying", "Pending", "Suppressed")
    lines = [render_table(header, rows), "", f"Senders' claims in {db.name}:"]
    if claims:
        lines.append(
            render_table(
                ("Sender", "Claimed", "Expired", "Lease ends"),
                [
                    (c.holder, str(c.held), str(c.expired), f"{c.until:%Y-%m-%d %H:%M:%S} UTC")
                    for c in claims
                ],
            )
        )
    else:
        lines.append("none: no sender is working now")
    if any(c.expired for c in claims):
        lines.append("Expired leases: that sender stopped mid-batch; another takes its claims.")
    returned = bounce_counts(db)
    causes: dict[str, int] = {}
    for _, reason, _ in ledger.suppressions(db):
        causes[reason] = causes.get(reason, 0) + 1
    lines += [
        "",
        f"Returned mail: {returned['hard']} bounced for good, {returned['soft']} bounced for "
        f"now, {returned['complaint']} complaints",
        "Suppressed: " + (", ".join(f"{n} {why}" for why, n in sorted(causes.items())) or "nobody"),
    ]
    waiting = confirmation_counts(db)
    lines += [
        "",
        f"Sign-up confirmations: {waiting['pending']} pending, "
        f"{waiting['failed']} refused for good",
        "",
        "Answers (counts only; nobody's answer is listed):",
        render_table(*attendance_table(inputs.series, tallies(db))),
    ]
    return "\n".join(lines)


ATTENDANCE_HEADER = (
    "Meeting",
    "Yes",
    "Maybe",
    "No",
    "Guests",
    "Expected",
    "At most",
    "Childcare",
    "Wheelchair",
    "Interpretation",
)


def attendance_table(
    meetings: Iterable[Meeting], counts: Mapping[str, Tally]
) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Per meeting: the answers and what the people coming need, as table rows.

    Expected is the "yes" answers with their guests; at most adds the "maybe"
    answers with theirs. Needs count "yes" and "maybe" answers (interpretation:
    parties asking for each language; childcare: children).
    """
    rows = []
    for meeting in meetings:
        t = counts.get(meeting.id, Tally())
        languages = ", ".join(f"{tag} {n}" for tag, n in t.interpretation.items())
        guests = t.guests + t.maybe_guests
        numbers = (t.yes, t.maybe, t.no, guests, t.expected, t.most, t.children, t.wheelchair)
        rows.append((meeting.id, *map(str, numbers), languages or "-"))
    return ATTENDANCE_HEADER, rows


PREVIEW_KINDS = ("reminder", "venue", "change", "cancel")


def preview_message(
    db: Database,
    settings: Settings,
    inputs: Inputs,
    revisions: Mapping[str, Revision],
    *,
    meeting_id: str,
    kind: str,
    offset: timedelta,
    address: str | None,
    now: datetime | None,
) -> bytes:
    """One message as it would be sent (the same renderer as `send`), as .eml bytes.

    A change notice compares the meeting with itself an hour earlier at another
    place; a cancellation shows the meeting cancelled.
    """
    meeting = inputs.series.get(meeting_id)
    if meeting is None:
        known = ", ".join(m.id for m in inputs.series)
        raise UsageError(f"no meeting {meeting_id!r} (known: {known})")
    sequence = revisions[meeting.id].sequence if meeting.id in revisions else 0
    previous = None
    if kind in ("change", "cancel"):
        previous = Snapshot.of(
            replace(meeting, start=meeting.start - timedelta(hours=1), venue="Elsewhere")
        )
    if kind == "cancel":
        meeting = replace(meeting, status=Status.CANCELLED)
    delivery_kind = {
        "reminder": Kind.reminder(offset),
        "venue": Kind.venue(),
        "change": Kind.notice(False, sequence),
        "cancel": Kind.notice(True, sequence),
    }[kind]
    when = now or meeting.start - offset
    batch = Batch(
        series=inputs.series,
        revisions=revisions,
        options=settings.feed_options,
        identity=identity(settings, inputs.series, load_secret(db)),
        templates=Templates(settings.email_templates, settings.locale),
        allow_drafts=settings.allow_drafts,
        now=when,
    )
    data, _ = batch.message(meeting, delivery_kind, _person(inputs, address), previous)
    return data


def readable(data: bytes) -> str:
    """A message as a person reads it: the main headers and the plain text, decoded."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    lines = [f"{name}: {message[name]}" for name in READABLE_HEADERS if message[name]]
    body = message.get_body(("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    attached = [part.get_filename() for part in message.iter_attachments()]
    lines += ["", text.replace("\r\n", "\n").rstrip("\n"), ""]
    lines += [f"[attached: {name}]" for name in attached if name]
    return "\n".join(lines) + "\n"


READABLE_HEADERS = ("From", "To", "Reply-To", "Subject", "Date", "Content-Language", "List-Id")


def _person(inputs: Inputs, address: str | None) -> Subscriber:
    if address is None:
        return Subscriber(email="sample@example.org", name="Sample Person")
    found = next((p for p in inputs.subscribers if p.key == address.lower()), None)
    return found or Subscriber(email=address, name="")
