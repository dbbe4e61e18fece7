"""The people on the list: the :class:`Subscriber` value type and the CSV reader.

Addresses are sensitive: nothing here logs or prints one. Problems are
reported with the file and line only, never with the address itself, so a
validation error pasted into an issue tracker exposes no one.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path
from typing import Any, TypeVar

from reminders.errors import DataError, Problem
from reminders.inputs.text import CONTROL, LANGUAGE_TAG
from reminders.sms.numbers import parse_phone

__all__ = ["CHANNELS", "COLUMNS", "TEXT_COLUMNS", "Subscriber", "load_subscribers", "parse_address"]

COLUMNS = ("email", "name", "language", "cities")
# A list that also texts people adds these (a file may have either header).
TEXT_COLUMNS = (*COLUMNS, "phone", "channels", "sms_consent")
CHANNELS = ("email", "sms")
T = TypeVar("T")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# An addr-spec of two ASCII dot-atoms (RFC 5322, 3.4.1), as nearly every list's addresses
# are: email.headerregistry reads it back unchanged, so only other forms go through it.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@({_ATOM}(?:\.{_ATOM})*)\Z")
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscriber:
    """One person on the list and what they want."""

    email: str  # as given; compare with :attr:`key`; empty for someone reached by text only
    name: str = ""
    language: str = "en"
    cities: frozenset[str] = frozenset()  # empty: every city
    phone: str = ""  # E.164, or empty
    channels: frozenset[str] = frozenset({"email"})
    sms_consent: str = ""  # how and when the person agreed to texts (before their YES)

    @property
    def languages(self) -> tuple[str, ...]:
        """The person's languages, most wanted first (the CSV's ``ht;fr;en``)."""
        return tuple(tag for tag in self.language.split(";") if tag) or ("en",)

    @property
    def key(self) -> str:
        """The recipient as the ledger and suppression list know it.

        The case-folded address; for a person reached by text (an :meth:`by_text`
        view, or someone without an address), ``sms:`` and the number.
        """
        return self.email.lower() if self.email else f"sms:{self.phone}"

    def by_text(self) -> Subscriber:
        """This person as the text channel sees them: the number is their key."""
        return replace(self, email="")

    def views(self, texting: bool) -> list[Subscriber]:
        """One recipient per channel this person chose (texts only when ``texting``)."""
        found = [self] if self.email and "email" in self.channels else []
        if texting and self.phone and "sms" in self.channels:
            found.append(self.by_text())
        return found

    def wants(self, city: str) -> bool:
        """Tell whether this person wants the meetings of ``city``."""
        return not self.cities or city in self.cities


def parse_address(text: str) -> str:
    """Return a plain ``local@domain`` address; raise ValueError when it is not one."""
    if CONTROL.search(text):
        raise ValueError("is not a valid email address")
    text = text.strip(" ")
    if not text or any(c.isspace() for c in text) or "=?" in text or len(text) > 254:
        raise ValueError("is not a valid email address")
    if plain := _PLAIN.match(text):
        domain = plain.group(1)  # what the email package's parser gives, at a tenth the cost
    else:
        try:
            address = Address(addr_spec=text)
        # The email package's parser itself fails on some malformed addresses: IndexError
        # on some, AttributeError on an unclosed domain literal ("a@[") in Python 3.11.
        except (HeaderParseError, ValueError, IndexError, AttributeError):
            raise ValueError("is not a valid email address") from None
        if address.addr_spec != text or not address.username:
            raise ValueError("is not a valid email address")
        domain = address.domain
    if not _DOMAIN.match(domain.lower()):
        raise ValueError("has no valid domain")
    return text


def load_subscribers(
    path: Path, cities: Iterable[str], region: str = "US"
) -> tuple[Subscriber, ...]:
    """Read and validate the subscribers CSV; raise :class:`DataError` listing every problem.

    Phone numbers are read in ``region`` unless they start with ``+``.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            # Row by row: a list of 100,000 people is read without holding the file twice.
            return _read(path, csv.reader(handle), set(cities), region)
    except FileNotFoundError:
        raise DataError([Problem(path=path, line=None, message="file not found")]) from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError([Problem(path=path, line=None, message=f"cannot read: {error}")]) from None


def _read(
    path: Path, rows: Iterator[list[str]], known: set[str], region: str
) -> tuple[Subscriber, ...]:
    problems: list[Problem] = []
    header = [cell.strip().lower() for cell in next(rows, [])]
    if header not in (list(COLUMNS), list(TEXT_COLUMNS)):
        raise DataError(
            [
                Problem(
                    path=path,
                    line=1,
                    message=f"the first line must be: {','.join(COLUMNS)} "
                    f"(or, to send texts too: {','.join(TEXT_COLUMNS)})",
                )
            ]
        )
    reader = _Rows(path, known, region, len(header), problems)
    subscribers: list[Subscriber] = []
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        found = reader.row(row, line)
        if found is not None:
            subscribers.append(found)
    if problems:
        raise DataError(problems)
    return tuple(subscribers)


class _Rows:
    """Reads rows of one file, remembering the addresses and numbers seen."""

    def __init__(
        self, path: Path, known: set[str], region: str, width: int, problems: list[Problem]
    ) -> None:
        self.path, self.known, self.region, self.width = path, known, region, width
        self.problems = problems
        self.seen: dict[str, int] = {}
        # Most people share a language, cities and channels: one copy of each serves all.
        self.shared: dict[object, Any] = {}

    def _one(self, value: T) -> T:
        found: T = self.shared.setdefault(value, value)
        return found

    def row(self, row: list[str], line: int) -> Subscriber | None:
        def report(message: str) -> None:
            self.problems.append(Problem(path=self.path, line=line, message=message))

        if len(row) != self.width:
            report(f"expected {self.width} columns, found {len(row)}")
            return None
        cells = [cell.strip() for cell in row] + [""] * (len(TEXT_COLUMNS) - self.width)
        email, name, language, cities_text, phone_text, channels_text, consent = cells
        before = len(self.problems)
        if email or not phone_text:
            try:
                parse_address(email)
            except ValueError as error:
                report(f"email {error}")
        phone = self._phone(phone_text, report)
        for key in (email.lower(), phone):
            if key and key in self.seen:
                what = "address" if "@" in key else "phone number"
                report(f"duplicate {what} (first on line {self.seen[key]})")
            if key:
                self.seen.setdefault(key, line)
        channels = self._channels(channels_text, email, phone, consent, report)
        if CONTROL.search(name):
            report("name contains control characters")
        language = ";".join(tag.strip() for tag in language.split(";") if tag.strip()) or "en"
        for tag in language.split(";"):
            if not LANGUAGE_TAG.match(tag):
                report(f"language {tag!r} is not a tag such as 'en' or 'pt-BR'")
        wanted = frozenset(c.strip() for c in cities_text.split(";") if c.strip())
        for city in sorted(wanted - self.known):
            close = difflib.get_close_matches(city, sorted(self.known), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            report(f"no meeting is in the city {city!r}{hint}")
        if len(self.problems) > before:
            return None
        return Subscriber(
            email=email,
            name=" ".join(name.split()),
            language=self._one(language),
            cities=self._one(wanted),
            phone=phone,
            channels=self._one(channels),
            sms_consent=f"list, agreed {consent}" if consent else "",
        )

    def _phone(self, text: str, report: Callable[[str], None]) -> str:
        if not text:
            return ""
        try:
            return parse_phone(text, self.region)
        except ValueError as error:
            report(f"phone {error}")  # never the number itself
            return ""

    def _channels(
        self, text: str, email: str, phone: str, consent: str, report: Callable[[str], None]
    ) -> frozenset[str]:
        chosen = frozenset(c.strip().lower() for c in text.split(";") if c.strip())
        if not chosen:
            chosen = frozenset({"email"} if email else {"sms"})
        if unknown := sorted(chosen - set(CHANNELS)):
            report(f"channel {unknown[0]!r} is not one of: email, sms")
        if "email" in chosen and not email:
            report("channel 'email' needs an email address")
        if "sms" in chosen:
            if not phone:
                report("channel 'sms' needs a phone number")
            if not _DATE.match(consent):
                report(
                    "channel 'sms' needs sms_consent: the date the person agreed to texts "
                    "(YYYY-MM-DD); they are still asked to reply YES first"
                )
        return chosen
