"""Dates and times as announcements write them, in English, Spanish and Portuguese.

Month and weekday names come from tables, and each pattern is anchored on
them, rather than from a general date guesser (dateparser, dateutil's fuzzy
mode): an announcement mixes dates with times, room numbers and street
addresses, and a guesser that reads "Room 12" as the 12th is worse than one
that says it found nothing. What cannot be read is reported, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time

from reminders.inputs.wallclock import WallClockError

__all__ = ["Found", "find_date", "find_dateline", "find_time_range", "language_of"]

_MONTHS = {
    1: "january jan enero ene janeiro",
    2: "february feb febrero fevereiro fev",
    3: "march mar marzo marco",
    4: "april apr abril abr",
    5: "may mayo maio",
    6: "june jun junio junho",
    7: "july jul julio julho",
    8: "august aug agosto ago",
    9: "september sept sep septiembre setiembre setembro set",
    10: "october oct octubre outubro out",
    11: "november nov noviembre novembro",
    12: "december dec diciembre dic dezembro dez",
}
MONTHS = {name: number for number, names in _MONTHS.items() for name in names.split()}
_WEEKDAYS = {
    0: "monday mon lunes segunda segunda-feira",
    1: "tuesday tue tues martes terca terca-feira",
    2: "wednesday wed miercoles quarta quarta-feira",
    3: "thursday thu thur thurs jueves quinta quinta-feira",
    4: "friday fri viernes sexta sexta-feira",
    5: "saturday sat sabado",
    6: "sunday sun domingo",
}
WEEKDAYS = {name: number for number, names in _WEEKDAYS.items() for name in names.split()}
# Words common in one language and rare in the others ("de" and "a" are in all three).
_SPANISH = {
    "el",
    "los",
    "las",
    "del",
    "y",
    "con",
    "lugar",
    "sabado",
    "jueves",
    "martes",
    "miercoles",
    "viernes",
    "reunion",
    "foro",
    "foros",
    "habra",
    "septiembre",
    "octubre",
}
_PORTUGUESE = {
    "os",
    "do",
    "dos",
    "das",
    "com",
    "nao",
    "voce",
    "feira",
    "reuniao",
    "sera",
    "setembro",
    "outubro",
    "sabado",
    "encontro",
    "havera",
}


def _plain(text: str) -> str:
    """Lower case without accents, so "sábado" and "Sábado" read as "sabado"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
# Month first (English): "Sat., Aug. 13", "March 21, 2013", "Thursday, March 21"
_MONTH_FIRST = re.compile(
    rf"(?:\b(?P<weekday>{_WEEKDAY})\b\.?,?\s+)?\b(?P<month>{_MONTH})\b\.?\s+"
    rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}}))?"
)
# Day first (Spanish, Portuguese): "sábado 27 de septiembre", "quinta-feira, 14 de abril de 2016"
_DAY_FIRST = re.compile(
    rf"(?:\b(?P<weekday>{_WEEKDAY})\b\.?,?\s+)?\b(?P<day>\d{{1,2}})(?:º|°)?\s+(?:de\s+)?"
    rf"(?P<month>{_MONTH})\b\.?(?:,?\s+(?:de\s+)?(?P<year>\d{{4}}))?"
)
# Numbers: 12/8/2015, 12/8 (month first in English, day first in Spanish and Portuguese)
_NUMERIC = re.compile(
    rf"(?:\b(?P<weekday>{_WEEKDAY})\b\.?,?\s+)?(?<![\d/])(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})"
    r"(?:/(?P<year>\d{4}|\d{2}))?(?![\d/])"
)


@dataclass(frozen=True, slots=True)
class Found:
    """What was read, and where in the text it stood (to cut it out of a venue)."""

    value: object
    span: tuple[int, int]


def language_of(text: str) -> str:
    """``en``, ``es`` or ``pt``: which the announcement is written in, by its words."""
    words = re.findall(r"\w+", _plain(text))
    spanish = sum(w in _SPANISH for w in words) + text.count("ñ")
    portuguese = sum(w in _PORTUGUESE for w in words) + text.count("ç") + text.count("ã")
    if max(spanish, portuguese) < 3:
        return "en"
    return "es" if spanish >= portuguese else "pt"


def find_date(
    text: str, year: int | None, language: str = "en", after: date | None = None
) -> Found | None:
    """The first date in ``text``, as a ``date``; None if there is none.

    A date without a year takes ``year``, or the year that puts it on or after
    two months before ``after`` (the release's date: a release dated in
    December that lists January meetings means the next year); with neither,
    :class:`WallClockError`. A weekday that disagrees with the date is one too.
    """
    plain = _plain(text)
    found = [m for m in (p.search(plain) for p in (_MONTH_FIRST, _DAY_FIRST)) if m]
    if found:
        match = min(found, key=lambda m: m.start())
        month, day = MONTHS[match["month"]], int(match["day"])
    elif numeric := _NUMERIC.search(plain):
        match = numeric
        a, b = int(match["a"]), int(match["b"])
        month, day = (b, a) if language in ("es", "pt") else (a, b)
    else:
        return None
    shown = text[match.start() : match.end()].strip()
    given = match["year"]
    if given is None and year is None and after is None:
        raise WallClockError(f"{shown!r} has no year, and the announcement gives none")
    full = int(given) + (2000 if given and len(given) == 2 else 0) if given else year
    if full is None and after is not None:
        full = after.year + (1 if (month, day) < _two_months_before(after) else 0)
    try:
        day_ = date(full or 0, month, day)
    except ValueError as error:
        raise WallClockError(f"{shown!r} is not a date: {error}") from None
    weekday = match["weekday"]
    if weekday and WEEKDAYS[weekday] != day_.weekday():
        raise WallClockError(f"{shown!r}: {day_:%B} {day_.day}, {day_.year} is a {day_:%A}")
    return Found(day_, match.span())


def _two_months_before(moment: date) -> tuple[int, int]:
    earlier = moment.toordinal() - 60
    back = date.fromordinal(earlier)
    return (back.month, back.day) if back.year == moment.year else (1, 1)


def find_dateline(text: str, language: str = "en") -> date | None:
    """The first full date with a year anywhere in the text (the release's date)."""
    plain = _plain(text)
    for pattern in (_MONTH_FIRST, _DAY_FIRST, _NUMERIC):
        for match in pattern.finditer(plain):
            if match["year"]:
                try:
                    found = find_date(plain[match.start() : match.end()], None, language)
                except WallClockError:
                    continue
                if found is not None:
                    assert isinstance(found.value, date)
                    return found.value
    return None


_MERIDIEM = (
    r"(?P<{0}m>[ap])\.?\s?m\b\.?"
    r"|(?P<{0}w>de la (?:manana|tarde|noche)|da (?:manha|tarde|noite)|de la madrugada)"
)
_CLOCK = (
    r"(?P<{0}word>noon|midnight|mediodia|meio-dia|medio dia)"
    r"|(?P<{0}h>\d{{1,2}})(?:(?:[:.]|h)(?P<{0}min>\d{{2}})|(?P<{0}hh>h))?"
    r"(?:\s*(?:" + _MERIDIEM + r"))?"
)
_RANGE = re.compile(
    r"(?:\b(?:from|de|desde|das|entre)\s+)?(?<![\w:./])(?:" + _CLOCK.format("s") + r")"
    r"\s*(?:-|–|—|‐|to|a|hasta|as|ate|y|e)\s*"
    r"(?:las\s+)?(?:" + _CLOCK.format("e") + r")(?![\w/])"
)
_EVENING = {"de la tarde": "p", "de la noche": "p", "da tarde": "p", "da noite": "p"}


def _meridiem(match: re.Match[str], side: str) -> str | None:
    if match[f"{side}m"]:
        return match[f"{side}m"]
    if words := match[f"{side}w"]:
        return _EVENING.get(words, "a")
    return None


def _clock(match: re.Match[str], side: str, meridiem: str | None) -> time:
    word = match[f"{side}word"]
    if word:
        return time(0) if word == "midnight" else time(12)
    hour, minute = int(match[f"{side}h"]), int(match[f"{side}min"] or 0)
    if meridiem == "p" and hour < 12:
        hour += 12
    elif meridiem == "a" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise WallClockError(f"{match.group(0)!r} is not a time of day")
    return time(hour, minute)


def find_time_range(text: str) -> Found | None:
    """The first time range in ``text`` (start and end), or None.

    A start without am/pm takes the end's unless that would put it after the
    end ("11-1pm" is 11 am to 1 pm); 24-hour times ("18h30", "15h às 17h") need none.
    """
    for match in _RANGE.finditer(_plain(text)):
        if not (match["sh"] or match["sword"]) or not (match["eh"] or match["eword"]):
            continue
        start_m, end_m = _meridiem(match, "s"), _meridiem(match, "e")
        bare = not (start_m or end_m) and not match["shh"] and not match["smin"]
        words = match["sword"] or match["eword"]
        if bare and not words and not match["emin"] and not match["ehh"]:
            continue  # "2-4" alone: a count, a room, a date part; not a time
        end = _clock(match, "e", end_m)
        start = _clock(match, "s", start_m or end_m)
        if start >= end and start_m is None and end_m is not None:
            start = _clock(match, "s", "a")  # "11-1pm" is 11 am to 1 pm
        if start >= end:
            raise WallClockError(f"{match.group(0)!r} ends before it starts")
        return Found((start, end), match.span())
    return None
