"""The template context of a message: what the README documents templates may use.

Pure: a meeting, a person and their links in, a dictionary out. The part
that is the same for everyone (:func:`shared_context`) is computed once per
batch; :func:`message_context` adds the person's part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from reminders.i18n.languages import TBD_LOCATION
from reminders.i18n.phrasing import (
    day_phrase,
    duration_phrase,
    short_day_phrase,
    time_range_phrase,
    when_phrase,
    zone_phrase,
)
from reminders.inputs.meetings import Meeting, Series, Snapshot
from reminders.inputs.subscribers import Subscriber
from reminders.notices import changes
from reminders.publish.feed import FeedOptions, shown
from reminders.publish.links import (
    feed_url,
    google_event_url,
    map_url,
    meeting_ics_url,
    outlook_event_url,
)

__all__ = ["Gettext", "PersonalLinks", "message_context", "shared_context"]

Gettext = Callable[[str], str]


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonalLinks:
    """One person's links, each carrying an opaque signed token (never the address)."""

    unsubscribe: str
    preferences: str
    mailto: str
    rsvp: str = ""  # the token of the person's answer links for the meeting, if it has them


def _meeting_context(meeting: Meeting, language: str, gettext: Gettext) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "title": meeting.access.text("title", language, meeting.title),
        "city": meeting.city,
        "venue": meeting.venue,
        "room": meeting.room,
        "address": meeting.address,
        "location": meeting.location or gettext(TBD_LOCATION),
        "notes": meeting.access.text("notes", language, meeting.notes),
        "status": meeting.status.value,
        "cancelled": meeting.cancelled,
        "start": meeting.start,
        "end": meeting.end,
        "timezone": meeting.zone.key,
        "when": when_phrase(meeting.start, meeting.end, language),
        "day": day_phrase(meeting.start, language),
        "day_short": short_day_phrase(meeting.start, language),
        "hours": time_range_phrase(meeting.start, meeting.end, language),
        "zone_name": zone_phrase(meeting.start, language),
        "access": meeting.access.lines(language, gettext),
    }


def _said(snapshot: Snapshot, field: str, zone: ZoneInfo, language: str, gettext: Gettext) -> str:
    """One side of a change, as a reader would say it."""
    if field == "when":
        start = datetime.fromisoformat(snapshot.start).astimezone(zone)
        end = datetime.fromisoformat(snapshot.end).astimezone(zone)
        return when_phrase(start, end, language)
    if field == "where":
        parts = (snapshot.venue, snapshot.room, snapshot.address)
        return ", ".join(p for p in parts if p) if snapshot.venue else gettext(TBD_LOCATION)
    return gettext("cancelled") if snapshot.status == "cancelled" else gettext("confirmed")


def _changes_context(
    previous: Snapshot, meeting: Meeting, language: str, gettext: Gettext
) -> list[dict[str, str]]:
    labels = {"when": gettext("When:"), "where": gettext("Where:"), "status": gettext("Status:")}
    current = Snapshot.of(meeting)
    return [
        {
            "field": change.field,
            "label": labels[change.field],
            "old": _said(change.old, change.field, meeting.zone, language, gettext),
            "new": _said(change.new, change.field, meeting.zone, language, gettext),
        }
        for change in changes(previous, current)
    ]


def shared_context(
    meeting: Meeting,
    series: Series,
    options: FeedOptions,
    now: datetime,
    language: str = "en",
    gettext: Gettext = _identity,
) -> dict[str, Any]:
    """The part of the context that is the same for everyone (computed once per batch)."""
    view = shown(meeting, options)
    added = shown(meeting, options, one_off=True).description  # for links that never update
    until = meeting.start.astimezone(UTC) - now.astimezone(UTC)
    return {
        "meeting": _meeting_context(meeting, language, gettext),
        "offset": {"text": duration_phrase(until, language), "duration": until},
        "links": {
            "google": google_event_url(meeting, added),
            "outlook": outlook_event_url(meeting, added),
            "ics": meeting_ics_url(options.base_url, meeting),
            "page": view.url,
            "map": map_url(meeting),
            "feed": feed_url(options.base_url),
        },
        "series": {
            "name": series.name,
            "organizer_name": series.organizer_name,
            "organizer_email": series.organizer_email,
        },
    }


def message_context(
    meeting: Meeting,
    subscriber: Subscriber,
    series: Series,
    options: FeedOptions,
    personal: PersonalLinks,
    now: datetime,
    previous: Snapshot | None = None,
    shared: Mapping[str, Any] | None = None,
    language: str = "en",
    gettext: Gettext = _identity,
) -> dict[str, Any]:
    """The template context documented in the README.

    ``offset.text`` says how far off the meeting really is at ``now`` ("in 3
    days"), so a late reminder never claims more time than is left. ``shared``
    is :func:`shared_context`'s result, when the caller keeps it for a batch.
    """
    base = shared
    if base is None:
        base = shared_context(meeting, series, options, now, language, gettext)
    return {
        **base,
        "subscriber": {"name": subscriber.name, "language": subscriber.language},
        "changes": _changes_context(previous, meeting, language, gettext) if previous else [],
        "links": {**base["links"], "preferences": personal.preferences},
        "unsubscribe_url": personal.unsubscribe,
        "rsvp": _answer_links(options.base_url, meeting, personal.rsvp),
    }


def _answer_links(base_url: str, meeting: Meeting, token: str) -> dict[str, str]:
    """The "I'll come", "Maybe" and "I can't come" links (none for a cancelled meeting)."""
    if not token or meeting.cancelled:
        return {}
    return {
        answer: f"{base_url}rsvp/{meeting.id}/{answer}?token={token}"
        for answer in ("yes", "maybe", "no")
    }
