"""Reading a calendar file (.ics) into draft meetings: a series kept in Google or Outlook.

Each VEVENT becomes a meeting: its start and end in their own zone, its
place from LOCATION (an empty one, or one that says the place is not known,
is TBD), its city from the SUMMARY's "... – City" ending (as this tool's own
feed writes it) or else from the last part of the LOCATION, marked to check.
The tool's own feed reads back as the meetings it was built from.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar

from reminders.errors import Problem
from reminders.inputs.announcements.reader import Announcement, DraftMeeting, split_place
from reminders.inputs.meetings import slug
from reminders.inputs.meetings_file import ID_PATTERN, zone_named

__all__ = ["read_calendar_file"]


def read_calendar_file(text: str, path: Path | str) -> tuple[Announcement, str | None]:
    """The events of an iCalendar text, and the calendar's zone (if it names one)."""
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as error:
        return Announcement(
            headline="", year=None, problems=(Problem(path=path, line=None, message=str(error)),)
        ), None
    name = str(calendar.get("X-WR-CALNAME", calendar.get("NAME", "")))
    zone = calendar.get("X-WR-TIMEZONE")
    meetings: list[DraftMeeting] = []
    problems: list[Problem] = []
    home = zone_named(str(zone)) if zone else None
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        try:
            meetings.append(_meeting(event, name, number, home))
        except (KeyError, ValueError, AttributeError) as error:
            message = f"event {number}: cannot read it ({error})"
            problems.append(Problem(path=path, line=None, message=message))
    return Announcement(
        headline=name, year=None, meetings=tuple(meetings), problems=tuple(problems)
    ), str(zone) if zone else None


def _meeting(event: object, series: str, number: int, home: ZoneInfo | None) -> DraftMeeting:
    get = event.get  # type: ignore[attr-defined]
    start = get("DTSTART").dt
    end = get("DTEND").dt if get("DTEND") else start + get("DURATION").dt
    if not isinstance(start, datetime) or start.tzinfo is None:
        raise ValueError("an all-day or floating event has no local time to keep")
    if home is not None and start.utcoffset() == timedelta(0) and "UTC" in str(start.tzinfo):
        start = start.astimezone(home)  # written in UTC: the calendar's own zone is meant
    end = end.astimezone(start.tzinfo)
    summary = str(get("SUMMARY", ""))
    cancelled = str(get("STATUS", "")).upper() == "CANCELLED"
    summary = re.sub(r"^(?:Cancelled|Canceled|Cancelado|Cancelada):\s*", "", summary)
    location = str(get("LOCATION", "") or "")
    unsure: list[str] = []
    named = _city(summary, series)
    if named is not None:
        city, sure = named
    else:
        parts = [p.strip() for p in location.split(",") if p.strip() and not p.strip()[0].isdigit()]
        city, sure = (parts[-1] if parts else summary), False
    if not sure:
        unsure.append("the city is taken from the event's title or place")
    venue, room, address = split_place(location, city)
    uid = str(get("UID", "")).partition("@")[0]
    ident = uid if ID_PATTERN.match(uid) else f"{start.date().isoformat()}-{slug(city)}"
    zone = getattr(start.tzinfo, "key", None)
    if end - start > timedelta(days=1):
        raise ValueError("an event longer than a day is not a meeting")
    return DraftMeeting(
        id=ident,
        city=city,
        date=start.date(),
        start=start.time(),
        end=end.time(),
        venue=venue,
        room=room,
        address=address,
        lines=(number, number),
        unsure=tuple(unsure),
        timezone=zone,
        cancelled=cancelled,
    )


def _city(summary: str, series: str) -> tuple[str, bool] | None:
    """The city at the end of "<title> – <City>", and whether the title is the series'.

    This tool's feeds write "<series> – <City>"; other calendars often do the same.
    """
    for dash in (" – ", " - ", " — "):
        head, found, tail = summary.rpartition(dash)
        tail = tail.strip()
        if found and tail and len(tail.split()) <= 3 and tail[0].isupper():
            return tail, head.strip() == series.strip()
    return None
