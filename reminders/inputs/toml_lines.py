"""Reading hand-edited TOML files and pointing back at their lines.

``tomli`` (the parser the standard library's ``tomllib`` was taken from, whose
compiled wheels read a large meetings file in a third of the time) returns
plain values without positions, so messages about a value
(``meetings.toml:14: unknown field 'venu'``) need the line it came from.
:class:`SourceMap` scans the text for table headers and keys, once and only
when a message needs it (a valid file of 10,000 meetings never pays); it is a
locator for messages, not a parser, and falls back to the enclosing table's
header when a key is written in a form it does not follow (dotted keys, say).

Given the tables of its last reading, :func:`read_toml` parses only the
``[[array]]`` tables whose text changed (see :func:`_by_tables`).
"""

from __future__ import annotations

import datetime
import difflib
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli

from reminders.errors import DataError, Problem

__all__ = ["SourceMap", "TomlDocument", "read_toml", "unknown_key"]

_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\-]+)\s*\]\]")
# Where a reading a table at a time cuts the text: a plain header alone on its line.
_ARRAY_HEADER = re.compile(r"^\[\[([A-Za-z0-9_-]+)\]\][ \t]*\r?$", re.MULTILINE)
# The same after a line's end: a pattern that starts with a character is searched for
# as one, a third of the time of trying a line start at every character.
_NEXT_ARRAY_HEADER = re.compile(r"\n\[\[([A-Za-z0-9_-]+)\]\][ \t]*\r?$", re.MULTILINE)
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"]+)\s*\]")
_KEY = re.compile(r"""^\s*([A-Za-z0-9_\-]+|"[^"]*"|'[^']*')\s*=""")
_ERROR_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Where = tuple[str, int | None]


@dataclass(slots=True)
class SourceMap:
    """Line numbers of the tables and keys of one TOML text."""

    headers: dict[Where, int] = field(default_factory=dict)
    keys: dict[tuple[Where, str], int] = field(default_factory=dict)

    @classmethod
    def from_text(cls, text: str) -> SourceMap:
        """Scan ``text`` for ``[table]``, ``[[array.table]]`` headers and ``key =`` lines."""
        found = cls()
        counts: dict[str, int] = {}
        where: Where = ("", None)
        in_multiline = False
        # TOML (and every editor) ends lines at \n only; str.splitlines would also split
        # at characters a string may hold (U+0085, U+2028) and shift every line after.
        for number, line in enumerate(_lines(text), start=1):
            quotes = line.count('"""') + line.count("'''")
            if in_multiline:
                in_multiline = quotes % 2 == 0
                continue
            if match := _ARRAY_TABLE.match(line):
                name = match.group(1)
                counts[name] = counts.get(name, -1) + 1
                where = (name, counts[name])
                found.headers.setdefault(where, number)
            elif match := _TABLE.match(line):
                name = match.group(1).replace('"', "")
                # A sub-table of an array table ([meeting.translations.es]) belongs to the
                # array's last item.
                index = counts.get(name.split(".")[0]) if "." in name else None
                where = (name, index)
                found.headers.setdefault(where, number)
            elif match := _KEY.match(line):
                found.keys.setdefault((where, match.group(1).strip("\"'")), number)
            in_multiline = in_multiline or quotes % 2 == 1
        return found

    def line(self, table: str = "", index: int | None = None, key: str | None = None) -> int:
        """Return the line of ``key`` in the table, else the table's header, else 1."""
        where = (table, index)
        if key is not None and (where, key) in self.keys:
            return self.keys[(where, key)]
        return self.headers.get(where, 1)


@functools.lru_cache(maxsize=4)
def _source_map(text: str) -> SourceMap:
    return SourceMap.from_text(text)


@dataclass(frozen=True, slots=True)
class TomlDocument:
    """A parsed TOML file and its text, for the lines of messages."""

    path: Path
    data: dict[str, Any]
    text: str = ""

    @property
    def source(self) -> SourceMap:
        """The lines of the text's tables and keys."""
        return _source_map(self.text)

    def problem(
        self, message: str, table: str = "", index: int | None = None, key: str | None = None
    ) -> Problem:
        """Make a problem located at ``key`` of a table of this document."""
        return Problem(path=self.path, line=self.source.line(table, index, key), message=message)


def _lines(text: str) -> list[str]:
    return [line.removesuffix("\r") for line in text.split("\n")]


def read_toml(path: Path, tables: dict[str, dict[str, Any]] | None = None) -> TomlDocument:
    """Read and parse a TOML file; raise :class:`DataError` with a located message.

    ``tables``, the ``[[array]]`` tables of the last reading by their text, is
    left holding this reading's (see :func:`_by_tables`).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError([Problem(path=path, line=None, message="file not found")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError([Problem(path=path, line=None, message=f"cannot read: {error}")]) from None
    data = None if tables is None else _by_tables(text, tables)
    if data is None:
        try:
            data = tomli.loads(text)
        except tomli.TOMLDecodeError as error:
            raise DataError([_syntax_problem(path, text, str(error))]) from None
    return TomlDocument(path=path, data=data, text=text)


def _by_tables(text: str, tables: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """Parse ``text`` an ``[[array]]`` table at a time, those in ``tables`` not again.

    The text from one array header to the next is parsed alone and must give
    one table of that array and nothing else; that is what parsing the whole
    gives it, since such a header starts a new table and all up to the next
    header belongs to it. A header line inside a multi-line string cuts the
    string, and the part before it cannot parse. So anything else (a table of
    another kind after the arrays, an array also named before them, a part
    that does not parse) gives None, and the caller parses the whole text,
    for its values or for its message. The tables are shared with the next
    reading: readers never change them.
    """
    # Two lists, not a tuple per table: what a reading keeps alive, the collector walks.
    starts, names = [], []
    if first := _ARRAY_HEADER.match(text):
        starts.append(0)
        names.append(first.group(1))
    for match in _NEXT_ARRAY_HEADER.finditer(text):
        starts.append(match.start() + 1)
        names.append(match.group(1))
    if not starts:
        return None
    read: dict[str, dict[str, Any]] = {}
    arrays: set[str] = set()
    try:
        data = tomli.loads(text[: starts[0]])
        ends = [*starts[1:], len(text)]
        for start, end, name in zip(starts, ends, names, strict=True):
            part = text[start:end]
            table = read.get(part) or tables.get(part) or tomli.loads(part)
            items = table.get(name)
            if len(table) != 1 or not isinstance(items, list) or len(items) != 1:
                return None
            if name not in arrays:
                if name in data:  # the part before the arrays gives it a value too
                    return None
                arrays.add(name)
                data[name] = []
            data[name].append(items[0])
            read[part] = table
    except tomli.TOMLDecodeError:
        return None
    tables.clear()
    tables.update(read)
    return data


def _syntax_problem(path: Path, text: str, message: str) -> Problem:
    lines = _lines(text)
    position = _ERROR_POSITION.search(message)
    number = int(position.group(1)) if position else max(len(lines), 1)
    reason = _ERROR_POSITION.sub("", message).replace("(at end of document)", "").strip()
    if reason.startswith("Invalid date") and 0 < number <= len(lines):
        reason = _explain_date(lines[number - 1]) or reason
    twice = reason.startswith("Cannot overwrite a value") and 0 < number <= len(lines)
    if twice and (key := _KEY.match(lines[number - 1])):
        field = key.group(1).strip("\"'")
        reason = f"{field!r} is given twice in the same table; keep one"
    return Problem(path=path, line=number, message=f"not valid TOML: {reason}")


def _explain_date(line: str) -> str | None:
    """Say why a date that tomli refused is impossible (February 30, say)."""
    for match in _DATE.finditer(line):
        year, month, day = (int(part) for part in match.group(0).split("-"))
        try:
            datetime.date(year, month, day)
        except ValueError as error:
            return f"impossible date {match.group(0)} ({error})"
    return None


def unknown_key(kind: str, key: str, known: tuple[str, ...]) -> str:
    """Say that ``key`` is unknown, suggesting the closest known one (for typos)."""
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(sorted(known))})"
    return f"unknown {kind} '{key}'{hint}"
