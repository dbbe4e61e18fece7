"""Reading the meetings file: TOML in, a validated :class:`~reminders.inputs.meetings.Series` out.

Every problem is collected with its line (errors as data) and raised at once
as one :class:`~reminders.errors.DataError`; nothing is half-read. This module
is longer than most: it holds one reader per field of the file, each with its
own messages, and splitting them apart would scatter one file's rules.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Mapping
from datetime import date, datetime, time
from email.utils import parseaddr
from operator import attrgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reminders.errors import DataError, Problem
from reminders.inputs.access import read_access
from reminders.inputs.meetings import KeptMeeting, LastReading, Meeting, Series, Status, is_tbd
from reminders.inputs.text import clean, one_line
from reminders.inputs.toml_lines import TomlDocument, read_toml, unknown_key
from reminders.inputs.wallclock import WallClockError, parse_date, parse_time, to_instant

__all__ = ["CALENDAR_KEYS", "MEETING_KEYS", "load_series", "parse_series", "zone_named"]


ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)

CALENDAR_KEYS = ("name", "description", "timezone", "domain", "organizer")

MEETING_KEYS = (
    "id",
    "city",
    "date",
    "start",
    "end",
    "end_date",
    "venue",
    "room",
    "address",
    "title",
    "notes",
    "status",
    "timezone",
    "interpretation",
    "childcare",
    "wheelchair_access",
    "transit",
    "translations",
)


# Every command computes reminder windows, revisions and feeds for these years.
FIRST_YEAR, LAST_YEAR = 1970, 9000


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_named(name: str) -> ZoneInfo:
    """Return the IANA zone called ``name``; raise ValueError if there is none.

    The name is looked up in the zone database's list first, so a long or odd
    name never reaches the file system.
    """
    if not isinstance(name, str) or len(name) > 64 or name not in _zone_names():
        shown = name if isinstance(name, str) and len(name) <= 64 else f"{str(name)[:40]}..."
        raise ValueError(
            f"unknown timezone {shown!r} (use an IANA name such as 'America/New_York')"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {name!r} (use an IANA name such as 'America/New_York')"
        ) from None


def load_series(path: Path, known: LastReading | None = None) -> Series:
    """Read and validate a meetings file; raise :class:`DataError` listing every problem.

    ``known``, what the last reading kept, spares parsing and validating
    unchanged tables (a daemon keeps it between ticks); it is left holding
    this reading's.
    """
    return parse_series(read_toml(path, known.tables if known else None), known)


def parse_series(doc: TomlDocument, known: LastReading | None = None) -> Series:
    """Validate a parsed meetings file; see :func:`load_series` for ``known``."""
    reader = _Reader(doc, known)
    series = reader.series()
    if reader.problems:
        raise DataError(reader.problems)
    return series


class _Reader:
    """Collects every problem of one meetings file while reading it."""

    def __init__(self, doc: TomlDocument, known: LastReading | None = None) -> None:
        self.doc = doc
        self.problems: list[Problem] = []
        self.known = known
        self.read: dict[int, KeptMeeting] = {}  # this reading's valid meetings, to be kept

    def report(
        self, message: str, table: str = "", index: int | None = None, key: str | None = None
    ) -> None:
        self.problems.append(self.doc.problem(message, table, index, key))

    def series(self) -> Series:
        data = self.doc.data
        for key in data:
            if key not in ("calendar", "meeting"):
                self.report(unknown_key("section", key, ("calendar", "meeting")), key=key)
        calendar = data.get("calendar")
        if not isinstance(calendar, dict):
            self.report("missing [calendar] section with name, timezone and domain")
            calendar = {}
        self._unknown_keys(calendar, CALENDAR_KEYS, "calendar", None)
        name = self.text(calendar, "name", "calendar", None, required=True) or "Meetings"
        zone = self.zone(calendar, "calendar", None, required=True) or ZoneInfo("UTC")
        domain = self.domain(calendar)
        organizer = self.organizer(calendar, name, domain)
        meetings = self.meetings(data.get("meeting", []), zone, name)
        return Series(
            name=name,
            description=self.text(calendar, "description", "calendar", None),
            timezone=zone,
            domain=domain,
            organizer_name=organizer[0],
            organizer_email=organizer[1],
            # By start, then id: two stable sorts make no key tuple for the collector to walk.
            meetings=tuple(sorted(sorted(meetings, key=attrgetter("id")), key=attrgetter("start"))),
        )

    def meetings(self, items: Any, zone: ZoneInfo, series_name: str) -> list[Meeting]:
        if not isinstance(items, list):
            self.report("'meeting' must be a list of [[meeting]] tables", key="meeting")
            return []
        meetings: list[Meeting] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                self.report("each meeting must be a [[meeting]] table", "meeting", index)
                continue
            meeting_id = item.get("id")
            if isinstance(meeting_id, str) and meeting_id in seen:
                first = self.doc.source.line("meeting", seen[meeting_id], "id")
                message = f"duplicate meeting id {meeting_id!r} (first used on line {first})"
                self.report(message, "meeting", index, "id")
            elif isinstance(meeting_id, str):
                seen[meeting_id] = index
            if (meeting := self.known_or_read(item, index, zone, series_name)) is not None:
                meetings.append(meeting)
        if self.known is not None:
            self.known.meetings = self.read
        return meetings

    def known_or_read(
        self, item: dict[str, Any], index: int, zone: ZoneInfo, name: str
    ) -> Meeting | None:
        """A table's meeting, as the last reading made it if that read the same table."""
        if self.known is None:
            return self.meeting(item, index, zone, name)
        under = f"{zone.key}\x00{name}"  # all a meeting is made of besides its table
        held = self.known.meetings.get(id(item))
        if held is None or held[0] is not item or held[1] != under:
            if (meeting := self.meeting(item, index, zone, name)) is None:
                return None  # invalid: never kept
            held = (item, under, meeting)
        self.read[id(item)] = held  # the same entry, not a new one the collector must walk
        return held[2]

    def meeting(
        self, item: Mapping[str, Any], index: int, default_zone: ZoneInfo, series_name: str
    ) -> Meeting | None:
        before = len(self.problems)
        where = ("meeting", index)
        meeting_id = self.text(item, "id", *where, required=True) or ""
        if meeting_id and not ID_PATTERN.match(meeting_id):
            self.report(
                f"meeting id {meeting_id!r} may use only a-z, 0-9 and single hyphens", *where, "id"
            )
        label = f"meeting {meeting_id!r}" if meeting_id else f"meeting #{index + 1}"
        self._unknown_keys(item, MEETING_KEYS, *where, label=label)
        city = self.text(item, "city", *where, required=True, label=label) or ""
        zone = self.zone(item, *where, label=label) or default_zone
        start, end = self.times(item, where, zone, label)
        status = self.status(item, where, label)
        venue = self.text(item, "venue", *where, label=label)
        room, address = (self.text(item, k, *where, label=label) for k in ("room", "address"))
        notes = self.text(item, "notes", *where, label=label)
        title = self.text(item, "title", *where, label=label) or f"{series_name} – {city}"
        access = read_access(
            item, lambda message, key: self.report(f"{label}: {message}", *where, key)
        )
        if len(self.problems) > before or start is None or end is None:
            return None
        return Meeting(
            id=meeting_id,
            city=one_line(city),
            title=one_line(title),
            start=start,
            end=end,
            venue=None if is_tbd(venue) else one_line(venue or ""),
            room=room and one_line(room),
            address=address and one_line(address),
            notes=notes,
            status=status,
            access=access,
        )

    def times(
        self, item: Mapping[str, Any], where: tuple[str, int], zone: ZoneInfo, label: str
    ) -> tuple[datetime | None, datetime | None]:
        day = self.day(item, "date", where, label, required=True)
        end_day = self.day(item, "end_date", where, label) or day
        start_clock = self.clock(item, "start", where, label)
        end_clock = self.clock(item, "end", where, label)
        if day is None or end_day is None or start_clock is None or end_clock is None:
            return None, None
        start = self.instant(day, start_clock, zone, where, "start", label)
        end = self.instant(end_day, end_clock, zone, where, "end", label)
        if start is None or end is None:
            return None, None
        if end <= start:
            hint = (
                "" if "end_date" in item else "; a meeting that ends after midnight needs end_date"
            )
            self.report(
                f"{label}: end {end_clock:%H:%M} is not after start {start_clock:%H:%M}{hint}",
                *where,
                "end",
            )
            return None, None
        return start, end

    def instant(
        self, day: date, clock: time, zone: ZoneInfo, where: tuple[str, int], key: str, label: str
    ) -> datetime | None:
        try:
            return to_instant(day, clock, zone)
        except WallClockError as error:
            self.report(f"{label}: {key} {error}", *where, key)
            return None

    def day(
        self,
        item: Mapping[str, Any],
        key: str,
        where: tuple[str, int],
        label: str,
        required: bool = False,
    ) -> date | None:
        value = item.get(key)
        if value is None:
            if required:
                self.report(f"{label}: missing field '{key}'", *where)
            return None
        day: date | None = None
        if isinstance(value, date) and not isinstance(value, datetime):
            day = value
        elif isinstance(value, str):
            try:
                day = parse_date(value)
            except WallClockError as error:
                self.report(f"{label}: {key} {error}", *where, key)
                return None
        else:
            self.report(f"{label}: {key} must be a date such as 2011-02-26", *where, key)
            return None
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.report(
                f"{label}: {key} {day.isoformat()} is not a year from {FIRST_YEAR} to {LAST_YEAR}",
                *where,
                key,
            )
            return None
        return day

    def clock(
        self, item: Mapping[str, Any], key: str, where: tuple[str, int], label: str
    ) -> time | None:
        value = item.get(key)
        if value is None:
            self.report(f"{label}: missing field '{key}'", *where)
        elif isinstance(value, time) and value.tzinfo is None:
            return value
        elif isinstance(value, str):
            try:
                return parse_time(value)
            except WallClockError as error:
                self.report(f"{label}: {key} {error}", *where, key)
        else:
            self.report(
                f'{label}: {key} must be a local time such as "14:00" or "2pm"', *where, key
            )
        return None

    def status(self, item: Mapping[str, Any], where: tuple[str, int], label: str) -> Status:
        value = item.get("status", Status.CONFIRMED.value)
        try:
            return Status(value)
        except ValueError:
            self.report(
                f"{label}: status must be 'confirmed' or 'cancelled', not {value!r}",
                *where,
                "status",
            )
            return Status.CONFIRMED

    def text(
        self,
        table: Mapping[str, Any],
        key: str,
        name: str,
        index: int | None,
        required: bool = False,
        label: str | None = None,
    ) -> str | None:
        value = table.get(key)
        prefix = f"{label}: " if label else ""
        if value is None:
            if required:
                self.report(f"{prefix}missing field '{key}'", name, index)
            return None
        if not isinstance(value, str):
            self.report(f"{prefix}{key} must be a string", name, index, key)
            return None
        value = clean(value).strip()
        if required and not value:
            self.report(f"{prefix}{key} must not be empty", name, index, key)
        return value or None

    def zone(
        self,
        table: Mapping[str, Any],
        name: str,
        index: int | None,
        required: bool = False,
        label: str | None = None,
    ) -> ZoneInfo | None:
        text = self.text(table, "timezone", name, index, required=required, label=label)
        if text is None:
            return None
        try:
            return zone_named(text)
        except ValueError as error:
            prefix = f"{label}: " if label else ""
            self.report(f"{prefix}{error}", name, index, "timezone")
            return None

    def domain(self, calendar: Mapping[str, Any]) -> str:
        text = self.text(calendar, "domain", "calendar", None, required=True)
        if text and not _DOMAIN.match(text):
            example = "a domain name such as 'example.org'"
            self.report(f"domain {text!r} is not {example}", "calendar", None, "domain")
        return (text or "example.org").lower()

    def organizer(self, calendar: Mapping[str, Any], name: str, domain: str) -> tuple[str, str]:
        text = self.text(calendar, "organizer", "calendar", None)
        if text is None:
            return name, f"meetings@{domain}"
        display, address = parseaddr(text)
        if "@" not in address or any(c.isspace() for c in address):
            self.report(
                f"organizer {text!r} must be an address such as "
                "'MIRA Coalition <events@example.org>'",
                "calendar",
                None,
                "organizer",
            )
        return display or name, address

    def _unknown_keys(
        self,
        table: Mapping[str, Any],
        fields: tuple[str, ...],
        name: str,
        index: int | None,
        label: str | None = None,
    ) -> None:
        for key in table:
            if key not in fields:
                self.report(
                    f"{label or f'[{name}]'}: {unknown_key('field', key, fields)}", name, index, key
                )
