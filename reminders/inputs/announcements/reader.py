"""From an announcement's records to draft meetings: dates, times and places read apart.

:func:`read_announcement` is pure: text in, the meetings it read and a
problem for every record that looks like a meeting but cannot be read out,
so nothing is dropped silently. A field the reader is unsure of is noted,
and :mod:`.rendering` marks it ``# check:`` in the meetings file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

from reminders.errors import Problem
from reminders.inputs.announcements.layouts import Record, csv_records, records
from reminders.inputs.announcements.when import (
    MONTHS,
    WEEKDAYS,
    find_date,
    find_dateline,
    find_time_range,
    language_of,
)
from reminders.inputs.meetings import is_tbd, slug
from reminders.inputs.wallclock import WallClockError

__all__ = ["Announcement", "DraftMeeting", "read_announcement", "split_place"]

_MARKER = re.compile(r"\b(?:new info|updated?|update|new)\s*:\s*", re.IGNORECASE)
_ROOM = re.compile(r"^(?:room|rm\.?|suite|sala|salon|salón|auditorium)\b|\broom\b", re.IGNORECASE)


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
    lines: tuple[int, int]
    new_info: bool = False
    unsure: tuple[str, ...] = ()
    timezone: str | None = None  # from a calendar file whose events name their zone
    cancelled: bool = False

    @property
    def line(self) -> int:
        return self.lines[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class Announcement:
    """What an announcement yielded: its headline, year, meetings and unreadable records."""

    headline: str
    year: int | None
    meetings: tuple[DraftMeeting, ...] = ()
    problems: tuple[Problem, ...] = field(default=())


def _headline(lines: list[str]) -> str:
    """The first line that reads like a title: not a dateline, not "for immediate release"."""
    for line in lines:
        text = line.strip()
        if not text or re.match(r"(?i)for immediate release|press release|media advisory", text):
            continue
        if find_dateline(text) is not None and len(text) < 40:
            continue
        if records(text):
            return ""
        return text
    return ""


def read_announcement(
    text: str, path: Path | str, year: int | None = None, *, spreadsheet: bool = False
) -> Announcement:
    """Read every meeting of an announcement, in whichever layout it is written.

    ``year`` overrides the year the text gives (a dateline or any full date);
    ``spreadsheet`` reads the text as a CSV export.
    """
    lines = text.splitlines()
    language = language_of(text)
    dateline = find_dateline(text, language)
    reference = date(year, 1, 1) if year else dateline
    meetings: list[DraftMeeting] = []
    problems: list[Problem] = []
    for record in csv_records(text) if spreadsheet else records(text):
        try:
            meetings.append(_meeting(record, reference, year is not None, language))
        except WallClockError as error:
            where = record.first
            problems.append(Problem(path=path, line=where, message=f"cannot read meeting: {error}"))
    return Announcement(
        headline=_headline(lines),
        year=year or (dateline.year if dateline else None),
        meetings=tuple(meetings),
        problems=tuple(problems),
    )


def _meeting(record: Record, reference: date | None, fixed: bool, language: str) -> DraftMeeting:
    fields = record.fields
    text = record.text
    marked = _MARKER.search(text) is not None
    text = _MARKER.sub("", text)
    day_text = fields.get("date", text)
    if fixed:
        found = find_date(day_text, reference.year if reference else None, language)
    else:
        found = find_date(day_text, None, language, after=reference)
    if found is None:
        raise WallClockError("no date such as 'Saturday, February 26' or '12/8/2015'")
    assert isinstance(found.value, date)
    day = found.value
    if "date" not in fields:
        text = _cut(text, found.span)
    dated = fields.get("date", "") if "time" not in fields else ""
    hours_text = _hours_text(fields, dated, text)
    hours = find_time_range(hours_text)
    if hours is None:
        raise WallClockError("no time range such as '2-4pm' or '6:30 p.m. - 8 p.m.'")
    start, end = _pair(hours.value)
    if not fields.get("time") and "start" not in fields and hours_text is text:
        text = _cut(text, hours.span)
    city = (record.city or "").strip(" .")
    if not city:
        raise WallClockError("no city")
    venue, room, address = _place(fields, text, city)
    return DraftMeeting(
        id=f"{day.isoformat()}-{slug(city)}",
        city=city,
        date=day,
        start=start,
        end=end,
        venue=venue,
        room=room,
        address=address,
        lines=(record.first, record.last),
        new_info=marked,
        unsure=record.unsure,
    )


def _pair(value: object) -> tuple[time, time]:
    assert isinstance(value, tuple)
    start, end = value
    assert isinstance(start, time)
    assert isinstance(end, time)
    return start, end


def _hours_text(fields: dict[str, str], day_text: str, text: str) -> str:
    if "start" in fields and "end" in fields:
        return f"{fields['start']} - {fields['end']}"
    if "time" in fields:
        return fields["time"]
    if day_text and find_time_range(day_text):
        return day_text  # "When: June 30, 1:00 p.m. - 2:00 p.m."
    return text


def _cut(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + "," + text[span[1] :]


def _place(
    fields: dict[str, str], rest: str, city: str
) -> tuple[str | None, str | None, str | None]:
    """Venue, room and address: from named fields, else from what is left of the line."""
    if {"venue", "address", "room"} & set(fields):
        venue, room, address = split_place(fields.get("venue", ""), city)
        room = fields.get("room") or room
        address = fields.get("address") or address
        if address and city.lower() not in address.lower():
            address = f"{address}, {city}"
        return (None, None, None) if venue is None else (venue, room, address)
    return split_place(rest, city)


def split_place(text: str, city: str) -> tuple[str | None, str | None, str | None]:
    """Split a place as written into venue, room and address; None while it is TBD."""
    if is_tbd(text):
        return None, None, None
    text = re.sub(r"\(([^)]*\d[^)]*)\)", r", \1", text)  # "Library (610 Main Street)"
    parts = [part.strip().strip(" .;–—-").strip() for part in text.split(",")]
    parts = [part for part in parts if part and not _is_fragment(part)]
    venue: list[str] = []
    room: str | None = None
    address: list[str] = []
    for part in parts:
        if address:
            address.append(part)
        elif _ROOM.search(part) and venue:
            room = part
        elif re.match(r"^\d", part):
            address.append(part)
        else:
            venue.append(part)
    place = ", ".join(venue)
    if not place:
        return None, None, None
    if address and city.lower() not in " ".join(address).lower():
        # A street alone is ambiguous on a map; the meeting's city makes it findable.
        address.append(city)
    return place, room, ", ".join(address) or None


def _is_fragment(part: str) -> bool:
    """What is left of a date or time ("Sat", "de", "pm") is never part of a place."""
    words = re.sub(r"[^\w]", " ", part.lower()).split()
    filler = {"de", "la", "el", "from", "to", "a", "las", "da", "das", "y", "e", "and", "pm", "am"}
    return bool(words) and all(w in WEEKDAYS or w in MONTHS or w in filler for w in words)
