"""Reading hand-edited TOML files and pointing back at their lines.

``tomli`` (the parser the standard library's ``tomllib`` was taken from, whose
compiled wheels read a large meetings file in a third of the time) returns
plain values without positions, so messages about a value
(``meetings.toml:14: unknown field 'venu'``) need the line it came from.
:class:`SourceMap` scans the text for table headers and keys, once and only
when a message needs it (a valid file of 10,000 meetings never pays); it is a
locator for messages, not a parser, and falls back to the enclosing table's
header when a key is written in a form it does not follow (dotted keys, say).
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


def read_toml(path: Path) -> TomlDocument:
    """Read and parse a TOML file; raise :class:`DataError` with a located message."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError([Problem(path=path, line=None, message="file not found")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataError([Problem(path=path, line=None, message=f"cannot read: {error}")]) from None
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as error:
        raise DataError([_syntax_problem(path, text, str(error))]) from None
    return TomlDocument(path=path, data=data, text=text)


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
