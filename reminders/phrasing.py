"""How a meeting's date, time and zone are written for people.

Readers may be in another zone than the meeting, so every phrase names the
zone ("Eastern Time"). Wording and zone names come from CLDR through Babel,
so each language gets its own date order and 12- or 24-hour habit.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date, format_interval, get_timezone_name

__all__ = ["day_phrase", "time_range_phrase", "when_phrase", "zone_phrase"]


def day_phrase(start: datetime, locale: str = "en", year: bool = True) -> str:
    """Write the meeting's day: ``Saturday, February 26, 2011``."""
    return format_date(start, "full" if year else "EEEE, MMMM d", locale=locale)


def time_range_phrase(start: datetime, end: datetime, locale: str = "en") -> str:
    """Write the clock times: ``2 – 4 PM`` (with minutes only where needed)."""
    skeleton = "hm" if start.minute or end.minute else "h"
    if start.date() != end.date():
        return format_interval(start, end, "yMMMdhm", locale=locale)
    return format_interval(start.time(), end.time(), skeleton, locale=locale)


def zone_phrase(start: datetime, locale: str = "en") -> str:
    """Name the zone as people say it: ``Eastern Time``."""
    return get_timezone_name(start.tzinfo, "long", locale=locale, zone_variant="generic")


def when_phrase(start: datetime, end: datetime, locale: str = "en", year: bool = True) -> str:
    """Write ``Saturday, February 26, 2011, 2 – 4 PM Eastern Time``."""
    return (
        f"{day_phrase(start, locale, year)}, {time_range_phrase(start, end, locale)} "
        f"{zone_phrase(start, locale)}"
    )
