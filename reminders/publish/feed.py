"""The iCalendar feed: what a calendar shows of each meeting, and its VEVENT.

Built with the icalendar library; :mod:`reminders.publish.calendars` puts the
events into files. Output depends only on the series, the
stored revisions and the options (no random UID, no build time), so two
builds of the same data give the same bytes and calendars see no change.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from icalendar import vCalAddress

from reminders import __version__
from reminders.i18n.languages import TBD_LOCATION
from reminders.inputs.meetings import Meeting, Series
from reminders.inputs.text import one_line
from reminders.publish.contentlines import (
    content_line,
    datetime_line,
    text_line,
    uri_line,
)
from reminders.publish.links import meeting_page_url
from reminders.publish.pieces import piece_key
from reminders.revisions import Revision

__all__ = [
    "PRODID",
    "FeedOptions",
    "Shown",
    "event_piece",
    "fingerprint",
    "shown",
]

PRODID = f"-//reminders//reminders {__version__}//EN"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedOptions:
    """Settings that shape the feed."""

    base_url: str
    refresh: timedelta = timedelta(hours=6)


@dataclass(frozen=True, slots=True, kw_only=True)
class Shown:
    """What a calendar shows of one meeting; its hash decides SEQUENCE bumps."""

    summary: str
    location: str
    description: str
    url: str
    status: str
    start: str
    end: str
    zone: str

    def fields(self) -> tuple[str, ...]:
        """The values in their order (``dataclasses.astuple`` without its deep copies)."""
        return (
            self.summary,
            self.location,
            self.description,
            self.url,
            self.status,
            self.start,
            self.end,
            self.zone,
        )


def shown(
    meeting: Meeting,
    options: FeedOptions,
    language: str = "en",
    gettext: Callable[[str], str] = str,
    one_off: bool = False,
) -> Shown:
    """Say what a calendar should show of ``meeting``, in ``language``.

    ``one_off`` is for an "add to calendar" link: that copy never updates, so a
    TBD meeting's text says where the place will be announced instead.
    """
    # Only a TBD meeting's one-off copy says something else: any other is the feed's own
    # entry of the cache, which the build has already made.
    one_off = one_off and meeting.venue_tbd and not meeting.cancelled
    return _shown(meeting, options, language, gettext, one_off)


# A build works out what each calendar shows of a meeting for its revision, then again for
# its event's key; the same arguments in every position make one entry of the cache.
@functools.lru_cache(maxsize=16_384)
def _shown(
    meeting: Meeting,
    options: FeedOptions,
    language: str,
    gettext: Callable[[str], str],
    one_off: bool,
) -> Shown:
    page = meeting_page_url(options.base_url, meeting)
    notes = meeting.access.text("notes", language, meeting.notes)
    paragraphs = [notes or "", "\n".join(meeting.access.lines(language, gettext))]
    if meeting.cancelled:
        paragraphs.append(gettext("This meeting is cancelled."))
    elif meeting.venue_tbd and one_off:
        paragraphs.append(
            gettext("The location will be announced by email and in the calendar feed.")
        )
    elif meeting.venue_tbd:
        paragraphs.append(gettext("The location will be announced; this entry updates when it is."))
    paragraphs.append(gettext("Details and updates: %(url)s") % {"url": page})
    title = one_line(meeting.access.text("title", language, meeting.title) or meeting.title)
    return Shown(
        summary=gettext("Cancelled: %(title)s") % {"title": title} if meeting.cancelled else title,
        location=one_line(meeting.location or gettext(TBD_LOCATION)),
        description="\n\n".join(p for p in paragraphs if p),
        url=page,
        status="CANCELLED"
        if meeting.cancelled
        else "TENTATIVE"
        if meeting.venue_tbd
        else "CONFIRMED",
        start=meeting.start.isoformat(),
        end=meeting.end.isoformat(),
        zone=meeting.zone.key,
    )


@functools.lru_cache(maxsize=16_384)  # each build's; an unchanged meeting's Shown is kept
def fingerprint(view: Shown) -> str:
    """Hash what a calendar shows, stably across runs and Python versions."""
    return hashlib.sha256(json.dumps(view.fields()).encode("ascii")).hexdigest()


def _event_bytes(meeting: Meeting, view: Shown, revision: Revision, series: Series) -> bytes:
    """One meeting's VEVENT, as icalendar serializes an ``Event`` of these values.

    The lines are put in the order icalendar writes them (its canonical order,
    then by name), each made as it makes that kind of line, at a tenth of the
    cost of building the ``Event`` (``tests/publish/test_pieces.py`` holds the
    two equal).
    """
    stamp = revision.modified.astimezone(UTC)
    stamps = _stamp_lines(stamp)
    return b"".join(
        (
            b"BEGIN:VEVENT\r\n",
            text_line("SUMMARY", view.summary),
            datetime_line("DTSTART", meeting.start),
            datetime_line("DTEND", meeting.end),
            stamps[0],
            text_line("UID", f"{meeting.id}@{series.domain}"),
            b"SEQUENCE:%d\r\n" % revision.sequence,
            text_line("DESCRIPTION", view.description),
            stamps[1],
            text_line("LOCATION", view.location),
            _organizer_line(series.organizer_email, series.organizer_name),
            text_line("STATUS", view.status),
            b"TRANSP:OPAQUE\r\n",
            uri_line("URL", view.url),
            b"END:VEVENT\r\n",
        )
    )


@functools.lru_cache(maxsize=64)
def _stamp_lines(stamp: datetime) -> tuple[bytes, bytes]:
    """DTSTAMP and LAST-MODIFIED: most events of a build share their revision's time."""
    return datetime_line("DTSTAMP", stamp), datetime_line("LAST-MODIFIED", stamp)


@functools.lru_cache(maxsize=16)
def _organizer_line(email: str, name: str) -> bytes:
    organizer = vCalAddress(f"mailto:{email}")
    organizer.params["CN"] = name
    return content_line("ORGANIZER", organizer)


def event_piece(
    meeting: Meeting,
    options: FeedOptions,
    language: str,
    gettext: Callable[[str], str],
    revision: Revision,
    series: Series,
) -> tuple[str, Callable[[], bytes]]:
    """The key of a meeting's VEVENT (everything its bytes are made of), and its maker."""
    view = shown(meeting, options, language, gettext)
    key = piece_key(
        "event",
        meeting.id,
        meeting.start.isoformat(),
        meeting.end.isoformat(),
        meeting.zone.key,
        revision.sequence,
        revision.modified.isoformat(),
        series.domain,
        series.organizer_email,
        series.organizer_name,
        *view.fields(),
    )
    return key, partial(_event_bytes, meeting, view, revision, series)
