"""The people on the list: the :class:`Subscriber` value type and the CSV reader.

Addresses are sensitive: nothing here logs or prints one. Problems are
reported with the file and line only, never with the address itself, so a
validation error pasted into an issue tracker exposes no one.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path

from reminders.errors import DataError, Problem
from reminders.inputs.text import CONTROL, LANGUAGE_TAG

__all__ = ["COLUMNS", "Subscriber", "load_subscribers", "parse_address"]

COLUMNS = ("email", "name", "language", "cities")
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscriber:
    """One person on the list and what they want."""

    email: str  # as given; compare with :attr:`key`
    name: str = ""
    language: str = "en"
    cities: frozenset[str] = frozenset()  # empty: every city

    @property
    def languages(self) -> tuple[str, ...]:
        """The person's languages, most wanted first (the CSV's ``ht;fr;en``)."""
        return tuple(tag for tag in self.language.split(";") if tag) or ("en",)

    @property
    def key(self) -> str:
        """The address as the ledger and suppression list know it (case-folded)."""
        return self.email.lower()

    def wants(self, city: str) -> bool:
        """Tell whether this person wants the meetings of ``city``."""
        return not self.cities or city in self.cities


def parse_address(text: str) -> str:
    """Return a plain ``local@domain`` address; raise ValueError when it is not one."""
    if CONTROL.search(text):
        raise ValueError("is not a valid email address")
    text = text.strip(" ")
    if not text or any(c.isspace() for c in text) or "=?" in text:
        raise ValueError("is not a valid email address")
    try:
        address = Address(addr_spec=text)
    except (HeaderParseError, ValueError, IndexError):
        raise ValueError("is not a valid email address") from None
    if address.addr_spec != text or not address.username or len(text) > 254:
        raise ValueError("is not a valid email address")
    if not _DOMAIN.match(address.domain.lower()):
        raise ValueError("has no valid domain")
    return text


def load_subscribers(path: Path, cities: Iterable[str]) -> tuple[Subscriber, ...]:
    """Read and validate the subscribers CSV; raise :class:`DataError` listing every problem."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise DataError([Problem(path=path, line=None, message="file not found")]) from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError([Problem(path=path, line=None, message=f"cannot read: {error}")]) from None
    known = set(cities)
    problems: list[Problem] = []
    if not rows or [cell.strip().lower() for cell in rows[0]] != list(COLUMNS):
        header = ",".join(COLUMNS)
        raise DataError([Problem(path=path, line=1, message=f"the first line must be: {header}")])
    subscribers: list[Subscriber] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        found = _row(row, line, path, known, seen, problems)
        if found is not None:
            subscribers.append(found)
    if problems:
        raise DataError(problems)
    return tuple(subscribers)


def _row(
    row: list[str],
    line: int,
    path: Path,
    known: set[str],
    seen: dict[str, int],
    problems: list[Problem],
) -> Subscriber | None:
    def report(message: str) -> None:
        problems.append(Problem(path=path, line=line, message=message))

    if len(row) != len(COLUMNS):
        report(f"expected {len(COLUMNS)} columns ({','.join(COLUMNS)}), found {len(row)}")
        return None
    email, name, language, cities_text = (cell.strip() for cell in row)
    before = len(problems)
    try:
        parse_address(email)
    except ValueError as error:
        report(f"email {error}")
    if email.lower() in seen:
        report(f"duplicate address (first on line {seen[email.lower()]})")
    seen.setdefault(email.lower(), line)
    if CONTROL.search(name):
        report("name contains control characters")
    language = ";".join(tag.strip() for tag in language.split(";") if tag.strip()) or "en"
    for tag in language.split(";"):
        if not LANGUAGE_TAG.match(tag):
            report(f"language {tag!r} is not a tag such as 'en' or 'pt-BR'")
    wanted = frozenset(c.strip() for c in cities_text.split(";") if c.strip())
    for city in sorted(wanted - known):
        close = difflib.get_close_matches(city, sorted(known), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        report(f"no meeting is in the city {city!r}{hint}")
    if len(problems) > before:
        return None
    return Subscriber(email=email, name=" ".join(name.split()), language=language, cities=wanted)
