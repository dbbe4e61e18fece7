"""The VCALENDAR files: a header, the zones and the meetings' events, spliced.

Each VEVENT and VTIMEZONE is serialized on its own (the events by
:mod:`reminders.publish.feed`, kept by :mod:`reminders.publish.pieces`) and
the pieces are joined, which gives the bytes of serializing the whole
calendar (``tests/publish/test_pieces.py`` holds the two equal).

A process that builds again and again (the daemon) keeps each feed as it was
made (:class:`Made`). The next build of a feed made of the same things but
some of its meetings or their revisions takes the unchanged meetings' events
from it, by the meetings' identity, and makes only the others: an edit costs
a lookup per meeting instead of working out each event's key again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

from icalendar import Calendar, vDuration, vUri

from reminders.inputs.meetings import Meeting, Series
from reminders.inputs.text import one_line
from reminders.publish.contentlines import serialized, string_line, uri_line
from reminders.publish.feed import PRODID, FeedOptions, event_piece
from reminders.publish.pieces import Pieces, zone_bytes
from reminders.revisions import Revision

__all__ = ["Made", "calendar_bytes", "calendar_made"]

# How many start and end instants of a zone's meetings fall in each (local) year.
Years = Mapping[ZoneInfo, Mapping[int, int]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Made:
    """A calendar file as a build made it, piece by piece."""

    rest: tuple[object, ...]  # all it is made of but its meetings and their revisions
    meetings: tuple[Meeting, ...]
    revisions: tuple[Revision, ...]
    at: Mapping[int, int]  # each meeting's position, by its id(): the record keeps it alive
    years: Years
    keys: tuple[str, ...]  # each event's piece
    events: tuple[bytes, ...]
    data: bytes


def calendar_bytes(
    series: Series,
    meetings: Iterable[Meeting],
    revisions: Mapping[str, Revision],
    options: FeedOptions,
    *,
    name: str,
    source: str,
    language: str = "en",
    gettext: Callable[[str], str] = str,
    pieces: Pieces | None = None,
) -> bytes:
    """Serialize meetings as one VCALENDAR (METHOD:PUBLISH), CRLF, folded, UTF-8.

    With ``pieces``, an event already made (in this build or a kept one) is
    not made again.
    """
    chosen = tuple(meetings)
    revised = tuple(revisions[m.id] for m in chosen)
    made = calendar_made(
        series,
        chosen,
        revised,
        options,
        name=name,
        source=source,
        language=language,
        gettext=gettext,
        pieces=pieces,
    )
    return made.data


def calendar_made(
    series: Series,
    chosen: Sequence[Meeting],
    revised: Sequence[Revision],
    options: FeedOptions,
    *,
    name: str,
    source: str,
    language: str = "en",
    gettext: Callable[[str], str] = str,
    pieces: Pieces | None = None,
    before: Made | None = None,
) -> Made:
    """The calendar of the ``chosen`` meetings at their ``revised`` revisions, piece by piece.

    ``before`` is this file as an earlier build made it: if it was made of the
    same options, series heading, name, source and language, the events of the
    meetings it holds at the same revision (the very objects) are taken from it.
    """
    pieces = pieces or Pieces()
    rest = (options, series.heading(), name, source, language, gettext)
    old = before if before is not None and before.rest == rest else None
    common = (options, language, gettext, series.heading())  # what else an event is made of
    keys: list[str] = []
    events: list[bytes] = []
    fresh: list[Meeting] = []  # those whose events are not taken from before
    reused = bytearray(len(old.meetings) if old else 0)
    for meeting, revision in zip(chosen, revised, strict=True):
        j = old.at.get(id(meeting)) if old else None
        if old is not None and j is not None and old.revisions[j] is revision:
            keys.append(old.keys[j])
            events.append(old.events[j])
            reused[j] = 1
            continue
        key, piece = pieces.event(
            f"{language} {meeting.id}",
            (meeting, revision, common),
            partial(event_piece, meeting, options, language, gettext, revision, series),
        )
        keys.append(key)
        events.append(piece)
        fresh.append(meeting)
    if old is not None:
        pieces.use_all(zip(keys, events, strict=True))
        gone = [old.meetings[j] for j, kept in enumerate(reused) if not kept] if 0 in reused else []
        years = _years_again(old.years, gone, fresh) if fresh or gone else old.years
    else:
        years = None
    if years is None:
        years = _years(chosen)
    parts = [_header_bytes(name, source, series.description, series.timezone.key, options)]
    if years:
        parts += [zone_bytes(zone, min(counts), max(counts)) for zone, counts in years.items()]
    else:  # an empty feed still names X-WR-TIMEZONE's zone
        parts.append(zone_bytes(series.timezone, 2000, 2000))
    parts += events
    parts.append(_END)
    return Made(
        rest=rest,
        meetings=tuple(chosen),
        revisions=tuple(revised),
        at={id(meeting): j for j, meeting in enumerate(chosen)},
        years=years,
        keys=tuple(keys),
        events=tuple(events),
        data=b"".join(parts),
    )


def _years(meetings: Iterable[Meeting]) -> dict[ZoneInfo, dict[int, int]]:
    """Each zone's instants by year, the zones in the order their first meetings come."""
    years: dict[ZoneInfo, dict[int, int]] = {}
    for meeting in meetings:
        counts = years.setdefault(meeting.zone, {})
        for year in (meeting.start.year, meeting.end.year):
            counts[year] = counts.get(year, 0) + 1
    return years


def _years_again(
    years: Years, gone: Iterable[Meeting], fresh: Iterable[Meeting]
) -> dict[ZoneInfo, dict[int, int]] | None:
    """The counts with ``gone`` taken out and ``fresh`` put in, or None to count them all.

    Only a feed of one zone is counted again by the changes: with more, a
    change could reorder the zones' first meetings.
    """
    if len(years) != 1:
        return None
    ((zone, before),) = years.items()
    counts = dict(before)
    for meeting, step in [*((m, -1) for m in gone), *((m, 1) for m in fresh)]:
        if meeting.zone is not zone:
            return None
        for year in (meeting.start.year, meeting.end.year):
            counts[year] = counts.get(year, 0) + step
    counts = {year: count for year, count in counts.items() if count}
    return {zone: counts} if counts else None


_END = b"END:VCALENDAR\r\n"


# A header costs less to make than a kept piece costs to key, store and load; a process
# that builds again and again (the daemon) keeps them here.
@functools.lru_cache(maxsize=16_384)
def _header_bytes(
    name: str, source: str, description: str | None, timezone: str, options: FeedOptions
) -> bytes:
    """The VCALENDAR's own lines (the calendar without its components).

    The files of a build differ only in their name and source: those lines are
    made for each, the others once (:func:`_header_lines`), in icalendar's order.
    """
    title = one_line(name)
    mine = {  # by the line's start, as icalendar writes the stand-ins
        b"NAME": string_line("NAME", title),
        b"X-WR-CALNAME": string_line("X-WR-CALNAME", title),
        b"SOURCE;VALUE=URI": uri_line("SOURCE", source),
    }
    lines = _header_lines(description, timezone, options)
    return b"".join(mine.get(line.partition(b":")[0], line) for line in lines)


@functools.lru_cache(maxsize=64)
def _header_lines(
    description: str | None, timezone: str, options: FeedOptions
) -> tuple[bytes, ...]:
    """A header's lines, folded, with stand-ins where each file's own lines go."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", "-")
    cal.add("x-wr-calname", "-")
    if description:
        cal.add("description", description)
        cal.add("x-wr-caldesc", description)
    cal.add("x-wr-timezone", timezone)
    cal.add("refresh-interval", vDuration(options.refresh), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(options.refresh))
    cal.add("source", vUri("-"), parameters={"VALUE": "URI"})
    cal.add("url", vUri(options.base_url), parameters={"VALUE": "URI"})
    return tuple(_lines(serialized(cal).removesuffix(_END)))


def _lines(data: bytes) -> list[bytes]:
    """Serialized content lines, each with its folds and CRLF."""
    lines: list[bytes] = []
    for line in data.splitlines(keepends=True):
        if line.startswith(b" ") and lines:
            lines[-1] += line
        else:
            lines.append(line)
    return lines
