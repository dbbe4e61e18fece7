"""VTIMEZONE components from the zoneinfo database, written as yearly rules.

Outlook misplaces events under zones written as lists of single transitions
(what ``icalendar``'s own generator writes), so this module reads the real
transitions of a zone over the covered years from zoneinfo and folds the
ones that repeat every year on the same "nth weekday of month" into one
observance with an RRULE. Irregular transitions stay single observances.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

__all__ = ["Rule", "Transition", "transitions", "vtimezone"]

_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_STEP = timedelta(hours=6)


class Rule(NamedTuple):
    """A yearly transition: same offsets and name, on the nth weekday of a month."""

    dst: bool
    offset_from: timedelta
    offset_to: timedelta
    name: str
    month: int
    weekday: str  # "2SU": the second Sunday; "-1SU": the last
    at: time


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of UTC offset: its instant and the offsets and name around it."""

    at: datetime  # UTC
    offset_from: timedelta
    offset_to: timedelta
    name: str
    dst: bool

    @property
    def onset(self) -> datetime:
        """Local wall time of the change, in the offset before it (as RFC 5545 wants)."""
        return (self.at + self.offset_from).replace(tzinfo=None)

    def rule(self) -> Rule:
        """What makes two yearly transitions the same rule."""
        onset = self.onset
        last = onset.day + 7 > calendar.monthrange(onset.year, onset.month)[1]
        ordinal = -1 if last else (onset.day - 1) // 7 + 1
        return Rule(
            self.dst,
            self.offset_from,
            self.offset_to,
            self.name,
            onset.month,
            f"{ordinal}{_DAYS[onset.weekday()]}",
            onset.time(),
        )


def _state(zone: ZoneInfo, at: datetime) -> tuple[timedelta, str, bool]:
    local = at.astimezone(zone)
    return local.utcoffset() or timedelta(), local.tzname() or "", bool(local.dst())


def transitions(zone: ZoneInfo, start: datetime, end: datetime) -> tuple[Transition, ...]:
    """Every offset change of ``zone`` after the UTC instant ``start``, up to ``end``.

    Found a year at a time, each year once: a build writes the zone over the
    years of each meeting's own file and of every feed, which overlap.
    """
    return tuple(
        change
        for year in range(start.year, end.year + 1)
        for change in _changes_in(zone, year)
        if start < change.at <= end
    )


@functools.lru_cache(maxsize=256)
def _changes_in(zone: ZoneInfo, year: int) -> tuple[Transition, ...]:
    """The offset changes of ``zone`` in one UTC year, each found to the second."""
    found: list[Transition] = []
    at, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    state = _state(zone, at)
    while at < end:
        following = at + _STEP
        next_state = _state(zone, following)
        if next_state != state:
            low, high = at, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if _state(zone, middle) == state else (low, middle)
            instant = high.replace(microsecond=0)
            found.append(Transition(instant, state[0], next_state[0], next_state[1], next_state[2]))
        at, state = following, next_state
    return tuple(found)


def vtimezone(zone: ZoneInfo, first: date, last: date) -> Timezone:
    """Build a VTIMEZONE for ``zone`` valid from ``first`` to ``last`` (and a year around)."""
    start = datetime(first.year - 1, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(last.year + 2, 1, 1, tzinfo=UTC)
    component = Timezone()
    component.add("tzid", zone.key)
    offset, name, dst = _state(zone, start)
    opening = Transition(start, offset, offset, name, dst)
    component.add_component(_observance([opening], open_ended=False))
    changes = transitions(zone, start, end)
    final_year = changes[-1].onset.year if changes else None
    for group in _yearly_groups(changes):
        # Rules still in force at the end of the span go on; those that stopped get an UNTIL.
        open_ended = len(group) > 1 and group[-1].onset.year == final_year
        component.add_component(_observance(group, open_ended=open_ended))
    return component


def _yearly_groups(changes: tuple[Transition, ...]) -> list[list[Transition]]:
    """Group transitions that recur every year by the same rule."""
    groups: list[list[Transition]] = []
    open_groups: dict[Rule, list[Transition]] = {}
    for change in changes:
        rule = change.rule()
        group = open_groups.get(rule)
        if group is not None and group[-1].onset.year + 1 == change.onset.year:
            group.append(change)
            continue
        group = [change]
        open_groups[rule] = group
        groups.append(group)
    return groups


def _observance(group: list[Transition], open_ended: bool) -> TimezoneStandard | TimezoneDaylight:
    first = group[0]
    observance = TimezoneDaylight() if first.dst else TimezoneStandard()
    observance.add("dtstart", first.onset)
    observance.add("tzname", first.name)
    observance.add("tzoffsetfrom", first.offset_from)
    observance.add("tzoffsetto", first.offset_to)
    if len(group) > 1:
        rule = first.rule()
        recurrence: dict[str, object] = {
            "FREQ": "YEARLY",
            "BYMONTH": rule.month,
            "BYDAY": rule.weekday,
        }
        if not open_ended:
            recurrence["UNTIL"] = group[-1].at
        observance.add("rrule", vRecur(recurrence))
    return observance
