"""How a meeting's date, time and zone are written for people, in their language.

Readers may be in another zone than the meeting, so every phrase names the
zone ("Eastern Time"). Wording comes from CLDR through Babel, so each
language gets its own date order and 12- or 24-hour habit. Where CLDR falls
short, this module fills in: Haitian Creole has no day, month or zone names
there (Babel would print "Sat" and "M02"), and Babel cannot format the "B"
day periods of Traditional Chinese 12-hour times.

Babel works each phrase out from its patterns anew, and a page or a run writes
the same ones again and again (most meetings share their hours and zone): each
phrase is kept by exactly what it depends on (the day, the clock times, the zone).
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta, tzinfo

from babel import Locale
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_time,
    format_timedelta,
    get_timezone_name,
)

__all__ = [
    "babel_locale",
    "day_phrase",
    "duration_phrase",
    "short_day_phrase",
    "time_range_phrase",
    "when_phrase",
    "zone_phrase",
]

# Haitian Creole names CLDR lacks (drafts, to be checked by a fluent speaker).
_HT_DAYS = ("lendi", "madi", "mèkredi", "jedi", "vandredi", "samdi", "dimanch")
_HT_MONTHS = (
    "janvye",
    "fevriye",
    "mas",
    "avril",
    "me",
    "jen",
    "jiyè",
    "out",
    "septanm",
    "oktòb",
    "novanm",
    "desanm",
)
_HT_ZONES = {"America/New_York": "lè Lès Etazini", "America/Chicago": "lè Santral Etazini"}


@functools.lru_cache(maxsize=64)
def babel_locale(language: str) -> str:
    """Babel's name for a BCP 47 tag: ``pt-BR`` -> ``pt_BR``, ``zh-Hant`` -> ``zh_Hant``."""
    return str(Locale.parse(language.replace("-", "_")))


def _haitian(language: str) -> bool:
    return language.split("-")[0] == "ht"


def day_phrase(start: datetime, language: str = "en", year: bool = True) -> str:
    """Write the meeting's day: ``Saturday, February 26, 2011``."""
    if _haitian(language):
        text = f"{_HT_DAYS[start.weekday()]} {start.day} {_HT_MONTHS[start.month - 1]}"
        return f"{text} {start.year}" if year else text
    return _day(start.date(), babel_locale(language), year)


@functools.lru_cache(maxsize=4096)
def _day(day: date, locale: str, year: bool) -> str:
    return format_date(day, "full" if year else "EEEE, MMMM d", locale=locale)


def short_day_phrase(start: datetime, language: str = "en") -> str:
    """Write the day briefly: ``Sat, Feb 26``."""
    if _haitian(language):
        return f"{_HT_DAYS[start.weekday()]} {start.day} {_HT_MONTHS[start.month - 1]}"
    return format_skeleton("MMMEd", start, locale=babel_locale(language))


def _twelve_hour(locale: str) -> bool:
    return "h" in Locale.parse(locale).time_formats["short"].pattern


def time_range_phrase(start: datetime, end: datetime, language: str = "en") -> str:
    """Write the clock times in the language's habit: ``2 – 4 PM`` or ``14:00–16:00``."""
    if _haitian(language):
        return f"{start:%H:%M}–{end:%H:%M}"
    locale = babel_locale(language)
    if start.date() != end.date():
        return format_interval(start, end, "yMMMdHm", locale=locale)
    return _hours(start.time(), end.time(), locale)


@functools.lru_cache(maxsize=1024)
def _hours(start: time, end: time, locale: str) -> str:
    """The clock times of a meeting within one day."""
    if not _twelve_hour(locale):
        return format_interval(start, end, "Hm", locale=locale)
    skeleton = "hm" if start.minute or end.minute else "h"
    try:
        return format_interval(start, end, skeleton, locale=locale)
    except NotImplementedError:
        # zh-Hant's pattern uses "B" day periods, which Babel cannot format; "a" (上午/下午)
        # is the same habit.
        return "–".join(format_time(t, "ah:mm", locale=locale) for t in (start, end))


def zone_phrase(start: datetime, language: str = "en") -> str:
    """Name the zone as people say it: ``Eastern Time``."""
    zone_key = getattr(start.tzinfo, "key", "")
    if _haitian(language):
        return _HT_ZONES.get(zone_key, zone_key)
    return _zone_name(start.tzinfo, babel_locale(language))


@functools.lru_cache(maxsize=256)
def _zone_name(zone: tzinfo | None, locale: str) -> str:
    return get_timezone_name(zone, "long", locale=locale, zone_variant="generic")


def when_phrase(start: datetime, end: datetime, language: str = "en", year: bool = True) -> str:
    """Write ``Saturday, February 26, 2011, 2 – 4 PM Eastern Time``."""
    day = day_phrase(start, language, year)
    return f"{day}, {time_range_phrase(start, end, language)} {zone_phrase(start, language)}"


def duration_phrase(until: timedelta, language: str = "en") -> str:
    """Say how far off something is: ``in 3 days``."""
    if _haitian(language):
        hours = round(until.total_seconds() / 3600)
        return f"nan {round(hours / 24)} jou" if hours >= 36 else f"nan {max(hours, 1)} èdtan"
    return format_timedelta(until, add_direction=True, locale=babel_locale(language), threshold=1.1)
