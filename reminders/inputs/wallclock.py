"""Local wall-clock times as people write them, and their place on the time line.

Announcements and hand-edited files say "2pm", "2:30 pm", "14:00", "3 – 5 pm"
or "Saturday, February 26, 2011". This module reads those forms and turns a
local date and time in an IANA zone into an aware datetime, refusing the
times that a DST change skips or repeats rather than guessing.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "WallClockError",
    "parse_date",
    "parse_time",
    "to_instant",
]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)

_TIME = re.compile(
    r"^(?:(?P<word>noon|midnight)|(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?"
    r"\s*(?:(?P<meridiem>[ap])\.?\s?m\.?)?)$",
    re.IGNORECASE,
)
_MONTH = "|".join(MONTHS) + "|" + "|".join(m[:3] + r"\.?" for m in MONTHS) + "|sept\\.?"
DATE_PATTERN = (
    rf"(?:(?P<weekday>{'|'.join(WEEKDAYS)}),?\s+)?"
    rf"(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?"
)
_DATE = re.compile(rf"^{DATE_PATTERN}$", re.IGNORECASE)


class WallClockError(ValueError):
    """A date or time that cannot be read, or that does not exist as written."""


def parse_time(text: str) -> time:
    """Read a clock time such as ``2pm``, ``2:30 pm``, ``14:00`` or ``noon``."""
    parts = _time_parts(text)
    if parts is None:
        raise WallClockError(f"cannot read {text!r} as a time (write it as '14:00' or '2pm')")
    hour, minute, meridiem = parts
    if meridiem is None:
        if not re.search(r"[:.]", text) and text.strip().lower() not in ("noon", "midnight"):
            raise WallClockError(f"{text!r} is ambiguous: say am or pm, or write it as '14:00'")
        return _clock(hour, minute, text)
    return _clock(_with_meridiem(hour, meridiem, text), minute, text)


def _time_parts(text: str) -> tuple[int, int, str | None] | None:
    match = _TIME.match(text.strip())
    if match is None:
        return None
    if word := match.group("word"):
        return (12, 0, "p") if word.lower() == "noon" else (0, 0, None)
    meridiem = match.group("meridiem")
    return int(match.group("hour")), int(match.group("minute") or 0), meridiem and meridiem.lower()


def _with_meridiem(hour: int, meridiem: str, text: str) -> int:
    if not 1 <= hour <= 12:
        raise WallClockError(f"{text!r} is not a time: with am/pm the hour runs from 1 to 12")
    return hour % 12 + (12 if meridiem == "p" else 0)


def _clock(hour: int, minute: int, text: str) -> time:
    if hour > 23 or minute > 59:
        raise WallClockError(f"{text!r} is not a time of day")
    return time(hour, minute)


def parse_date(text: str, year: int | None = None) -> date:
    """Read ``Saturday, February 26, 2011`` or ``February 26`` (with ``year``).

    A weekday, when given, must match the date: a mismatch is usually a typo in
    the day or the year, and guessing which would be worse than asking.
    """
    match = _DATE.match(" ".join(text.split()))
    if match is None:
        raise WallClockError(
            f"cannot read {text!r} as a date such as 'Saturday, February 26, 2011'"
        )
    month_name = match["month"].lower().rstrip(".")
    month = next(i for i, name in enumerate(MONTHS, start=1) if name.startswith(month_name[:3]))
    year_text = match["year"]
    if year_text is None and year is None:
        raise WallClockError(f"{text!r} has no year")
    try:
        day = date(int(year_text) if year_text else year or 0, month, int(match["day"]))
    except ValueError as error:
        raise WallClockError(f"{text!r} is not a date: {error}") from None
    weekday = match["weekday"]
    if weekday and WEEKDAYS.index(weekday.lower()) != day.weekday():
        actual = WEEKDAYS[day.weekday()].capitalize()
        raise WallClockError(f"{text!r}: {day:%B} {day.day}, {day.year} is a {actual}")
    return day


def to_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """Place a local date and time of ``zone`` on the time line.

    Raise :class:`WallClockError` when a DST change makes the local time
    skipped (it never happens) or repeated (it happens twice).
    """
    naive = datetime.combine(day, clock)
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first  # PEP 495: the folds differ only at a time skipped or repeated
    if _round_trips(first) and _round_trips(second):
        raise WallClockError(
            f"{clock:%H:%M} on {day} happens twice in {zone.key} (clocks go back that night); "
            "choose a time outside the repeated hour"
        )
    jump = abs((second.utcoffset() or timedelta()) - (first.utcoffset() or timedelta()))
    raise WallClockError(
        f"{clock:%H:%M} on {day} does not exist in {zone.key} (clocks jump forward "
        f"{_duration(jump)} that night); choose a time outside the skipped hour"
    )


def _round_trips(local: datetime) -> bool:
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    return "an hour" if minutes == 60 else f"{minutes} minutes"
