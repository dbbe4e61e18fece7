"""Reading a press release's list of meetings into the meetings-file format.

Announcements list meetings one per line, as ``City: details``, with the
details in any order: venue before or after the date, "NEW INFO:" markers,
"Location (TBD)". :func:`read_announcement` is pure: it returns the meetings
it read and a problem for every line that looks like a meeting but cannot be
read, so nothing is dropped silently. :func:`render_meetings_file` writes the
result in the format :mod:`reminders.inputs.meetings` reads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

from reminders.errors import Problem
from reminders.inputs.meetings import is_tbd, slug
from reminders.inputs.text import one_line
from reminders.inputs.wallclock import (
    DATE_PATTERN,
    MONTHS,
    RANGE_PATTERN,
    WEEKDAYS,
    WallClockError,
    parse_date,
    parse_time_range,
)

__all__ = ["Announcement", "DraftMeeting", "read_announcement", "render_meetings_file"]

_LINE = re.compile(r"^\s*(?P<city>[A-Z][A-Za-z.'\- ]{1,40}?)\s*:\s*(?P<rest>\S.*)$")
_DATELINE = re.compile(r"(?<!\d)(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})(?!\d)")
_DATE = re.compile(DATE_PATTERN, re.IGNORECASE)
_RANGE = re.compile(RANGE_PATTERN, re.IGNORECASE)
_MARKER = re.compile(r"\b(?:new info|updated?|update|new)\s*:\s*", re.IGNORECASE)
_HINTS = re.compile(
    rf"\b(?:{'|'.join(WEEKDAYS)}|{'|'.join(MONTHS)})\b|\d\s*[ap]\.?m\b|\btbd\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftMeeting:
    """A meeting as read from an announcement, before validation."""

    id: str
    city: str
    date: date
    start: time
    end: time
    venue: str | None
    room: str | None
    address: str | None
    line: int
    new_info: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Announcement:
    """What an announcement yielded: its headline, year, meetings and unreadable lines."""

    headline: str
    year: int | None
    meetings: tuple[DraftMeeting, ...] = ()
    problems: tuple[Problem, ...] = field(default=())


def read_announcement(text: str, path: Path | str, year: int | None = None) -> Announcement:
    """Read every meeting line of an announcement.

    ``year`` overrides the year of the dateline (``2/15/2011 BOSTON --``).
    """
    lines = text.splitlines()
    headline = next((line.strip() for line in lines if line.strip()), "")
    year = year or _dateline_year(lines)
    meetings: list[DraftMeeting] = []
    problems: list[Problem] = []
    for number, line in enumerate(lines, start=1):
        match = _LINE.match(line)
        if match is None or not _HINTS.search(match["rest"]):
            continue
        try:
            meetings.append(_read_meeting(match["city"].strip(), match["rest"], number, year))
        except WallClockError as error:
            problems.append(
                Problem(path=path, line=number, message=f"cannot read meeting: {error}")
            )
    return Announcement(
        headline=headline, year=year, meetings=tuple(meetings), problems=tuple(problems)
    )


def _dateline_year(lines: list[str]) -> int | None:
    for line in lines:
        if match := _DATELINE.search(line):
            return int(match["year"])
    return None


def _read_meeting(city: str, rest: str, number: int, year: int | None) -> DraftMeeting:
    marked = _MARKER.search(rest) is not None
    rest = _MARKER.sub("", rest)
    found_date = _DATE.search(rest)
    if found_date is None:
        raise WallClockError("no date such as 'Saturday, February 26'")
    if year is None and found_date["year"] is None:
        raise WallClockError("no year: the announcement has no dateline; give --year")
    day = parse_date(found_date.group(0), year)
    rest = _cut(rest, found_date.span())
    found_range = _RANGE.search(rest)
    if found_range is None:
        raise WallClockError("no time range such as '2-4pm'")
    hours = parse_time_range(found_range.group(0))
    venue, room, address = _place(_cut(rest, found_range.span()), city)
    return DraftMeeting(
        id=f"{day.isoformat()}-{slug(city)}",
        city=city,
        date=day,
        start=hours.start,
        end=hours.end,
        venue=venue,
        room=room,
        address=address,
        line=number,
        new_info=marked,
    )


def _cut(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + "," + text[span[1] :]


def _place(text: str, city: str) -> tuple[str | None, str | None, str | None]:
    """Split what is left of a line into venue, room and address."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    venue: list[str] = []
    room: str | None = None
    address: list[str] = []
    for part in parts:
        if address:
            address.append(part)
        elif re.match(r"^(?:room|rm\.?|suite|hall)\s", part, re.IGNORECASE):
            room = part
        elif re.match(r"^\d", part):
            address.append(part)
        else:
            venue.append(part)
    place = ", ".join(venue)
    if is_tbd(place):
        return None, room, None
    if address and city.lower() not in " ".join(address).lower():
        # A street alone is ambiguous on a map; the line's city makes it findable.
        address.append(city)
    return place, room, ", ".join(address) or None


def render_meetings_file(
    announcement: Announcement, timezone: str, domain: str, source: str
) -> str:
    """Write an announcement's meetings as a ``meetings.toml`` text."""
    out = [
        f"# Imported from {source} by `reminders import`; review before use.",
        "",
        "[calendar]",
        f"name = {_string(one_line(announcement.headline).rstrip('.') or 'Meetings')}",
        f"timezone = {_string(timezone)}",
        f"domain = {_string(domain)}",
    ]
    for meeting in announcement.meetings:
        out += ["", "[[meeting]]"]
        if meeting.new_info:
            out.append(f"# Marked NEW INFO in the announcement (line {meeting.line}).")
        out += [
            f"id = {_string(meeting.id)}",
            f"city = {_string(meeting.city)}",
            f"date = {meeting.date.isoformat()}",
            f"start = {_string(f'{meeting.start:%H:%M}')}",
            f"end = {_string(f'{meeting.end:%H:%M}')}",
            f"venue = {_string(meeting.venue or 'TBD')}",
        ]
        out += [
            f"{key} = {_string(value)}"
            for key, value in (("room", meeting.room), ("address", meeting.address))
            if value
        ]
    return "\n".join(out) + "\n"


def _string(value: str) -> str:
    # A JSON string is a TOML basic string too, once DEL (legal raw in JSON only) is escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
