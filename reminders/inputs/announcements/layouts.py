"""Finding the meetings in an announcement's text, whatever its layout.

Each layout is detected, not configured: tables (Markdown pipes, tab- or
comma-separated with a header row), blocks (a heading, then labelled lines
such as ``Date:`` and ``Where:``), one meeting a line (``City: details``,
``City - details``, bullets and numbered items), and sentences that name a
date, a time and a place. Each yields :class:`Record` values: the text or
fields one meeting came from, with its lines.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from reminders.inputs.announcements.when import (
    MONTHS,
    WEEKDAYS,
    find_dateline,
    find_time_range,
)
from reminders.inputs.wallclock import WallClockError

__all__ = ["COLUMNS", "Record", "records"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """What one meeting was read from: free text, or named fields (a table, a block)."""

    first: int  # line numbers, from 1
    last: int
    city: str | None = None
    text: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    unsure: tuple[str, ...] = ()  # what a careful reader should check


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Column and label names, in English, Spanish and Portuguese, to one field each.
COLUMNS = {
    "date": "date", "day": "date", "when": "date", "fecha": "date", "dia": "date",
    "data": "date", "cuando": "date", "quando": "date",
    "time": "time", "hours": "time", "hora": "time", "horario": "time", "horas": "time",
    "start": "start", "starts": "start", "inicio": "start", "begins": "start",
    "end": "end", "ends": "end", "fin": "end", "fim": "end", "termino": "end",
    "city": "city", "town": "city", "ciudad": "city", "cidade": "city",
    "municipio": "city", "location city": "city",
    "venue": "venue", "location": "venue", "place": "venue", "where": "venue",
    "lugar": "venue", "local": "venue", "sitio": "venue", "donde": "venue", "onde": "venue",
    "room": "room", "sala": "room",
    "address": "address", "direccion": "address", "endereco": "address", "street": "address",
}  # fmt: skip
_LABEL = re.compile(r"^\s*(?P<label>[^\W\d_][\w ]{1,20}?)\s*:\s*(?P<value>.*?)\s*$")
_BULLET = re.compile(r"^\s*(?:[•\-*·▪◦‣–—]|\(?\d{1,2}[.)])\s+")
_DASH = r"(?::|\s[-–—]\s)"
_CITY_LINE = re.compile(rf"^(?P<city>[^\W\d_][\w.'’ ]{{1,40}}?)\s*{_DASH}\s*(?P<rest>\S.*)$")
_WORDS = "|".join(sorted({*MONTHS, *WEEKDAYS}, key=len, reverse=True))
_HINTS = re.compile(
    rf"\b(?:{_WORDS})\b|\d\s*[ap]\.?\s?m\b|\d{{1,2}}/\d{{1,2}}|\d{{1,2}}h\d{{0,2}}\b|\btbd\b|\btba\b",
)
# Heading words around a city's name: "LOWELL TOWN HALL", "Foro comunitario en Chelsea".
_HEADING_WORDS = re.compile(
    r"\b(?:town hall|community (?:forum|meeting)|listening session|public meeting|forum|"
    r"meeting|session|foro comunitario|foro|reunion comunitaria|reunion|reuniao|"
    r"encontro|asamblea|assembleia|audiencia|en|em|in)\b",
)


def _label(line: str) -> tuple[str, str] | None:
    match = _LABEL.match(line)
    if match is None:
        return None
    name = COLUMNS.get(_plain(match["label"]).strip())
    return (name, match["value"]) if name else None


def _city_of_heading(heading: str) -> str | None:
    words = _HEADING_WORDS.sub(" ", _plain(heading))
    words = re.sub(r"[^\w' -]", " ", words)
    name = " ".join(words.split())
    if not name or len(name) > 40:
        return None
    # Keep the heading's own spelling (accents), in title case if it shouted.
    start = _plain(heading).find(name)
    original = heading[start : start + len(name)] if start >= 0 else name
    return original.title() if original.isupper() or original.islower() else original


def _table(rows: list[list[str]], first: int, numbers: list[int]) -> Iterator[Record]:
    header = [COLUMNS.get(_plain(cell).strip()) for cell in rows[0]]
    if "date" not in header or not ({"venue", "city"} & set(header)):
        return
    for cells, number in zip(rows[1:], numbers[1:], strict=True):
        fields = {
            name: cell.strip()
            for name, cell in zip(header, cells, strict=False)
            if name and cell.strip()
        }
        if fields:
            yield Record(first=number, last=number, city=fields.get("city"), fields=fields)


def _tables(lines: list[str], used: set[int]) -> Iterator[Record]:
    """Markdown pipe tables and tab-separated rows, each with a header row."""
    rows: list[list[str]] = []
    numbers: list[int] = []
    for number, line in enumerate([*lines, ""], start=1):
        stripped = line.strip()
        if stripped.startswith("|") or line.count("\t") >= 2:
            if stripped.startswith("|"):
                cells = [cell.strip() for cell in stripped.strip("|").split("|")]
                if all(re.fullmatch(r":?-{2,}:?", cell) for cell in cells if cell):
                    used.add(number)
                    continue
            else:
                cells = line.split("\t")
            rows.append(cells)
            numbers.append(number)
            continue
        if len(rows) >= 2:
            found = list(_table(rows, numbers[0], numbers))
            if found:
                used.update(numbers)
                yield from found
        rows, numbers = [], []


def csv_records(text: str) -> list[Record]:
    """The rows of a CSV file whose header names the columns (a spreadsheet export)."""
    rows = list(csv.reader(io.StringIO(text)))
    numbered = [(n, row) for n, row in enumerate(rows, start=1) if any(c.strip() for c in row)]
    if len(numbered) < 2:
        return []
    return list(_table([row for _, row in numbered], numbered[0][0], [n for n, _ in numbered]))


def _blocks(lines: list[str], used: set[int]) -> Iterator[Record]:
    """A heading line, then labelled lines (Date:, Time:, Where:...) up to a blank line."""
    number = 0
    while number < len(lines):
        heading = lines[number].strip()
        labels: dict[str, str] = {}
        end = number + 1
        while end < len(lines) and (found := _label(lines[end])):
            labels.setdefault(found[0], found[1])
            end += 1
        if heading and not _label(heading) and "date" in labels and end > number + 1:
            city = labels.get("city") or _city_of_heading(heading)
            unsure = () if "city" in labels else ("the city is taken from the heading",)
            used.update(range(number + 1, end + 1))
            yield Record(first=number + 1, last=end, city=city, fields=labels, unsure=unsure)
            number = end
        else:
            number += 1


def _lines(lines: list[str], used: set[int]) -> Iterator[Record]:
    """One meeting a line: ``City: details`` or ``City - details``, bulleted or not."""
    for number, line in enumerate(lines, start=1):
        if number in used:
            continue
        text = _BULLET.sub("", line)
        match = _CITY_LINE.match(text)
        if match is None or not _HINTS.search(_plain(match["rest"])):
            continue
        if not _names_a_time(match["rest"]) and find_dateline(match["rest"]) is not None:
            continue  # a full date alone ("Newsletter - 12 de septiembre de 2014"): a dateline
        used.add(number)
        yield Record(first=number, last=number, city=match["city"].strip(), text=match["rest"])


_SENTENCE_PLACE = re.compile(
    r"\b(?:at|en|no|na|em)\s+(?:the\s+|el\s+|la\s+|o\s+|a\s+)?(?P<place>[A-Z].+)$"
)


def _sentences(lines: list[str], used: set[int]) -> Iterator[Record]:
    """A sentence that names a date, a time range and a place: the city is unsure."""
    for number, line in enumerate(lines, start=1):
        if number in used or not _HINTS.search(_plain(line)):
            continue
        place = _SENTENCE_PLACE.search(line)
        if place is None or not _names_a_time(line):
            continue
        parts = [part.strip(" .") for part in place["place"].split(",") if part.strip(" .")]
        city = parts[-1] if len(parts) > 1 else None
        used.add(number)
        yield Record(
            first=number,
            last=number,
            city=city,
            text=line,
            unsure=("read from a sentence: check the city, date, time and place",),
        )


def _names_a_time(line: str) -> bool:
    try:
        return find_time_range(line) is not None
    except WallClockError:
        return True  # a time it cannot read: the reader reports it


def records(text: str) -> list[Record]:
    """Every meeting record of the text, in the order they appear."""
    lines = text.splitlines()
    used: set[int] = set()
    found = [*_tables(lines, used), *_blocks(lines, used), *_lines(lines, used)]
    found += list(_sentences(lines, used))
    return sorted(found, key=lambda record: record.first)
