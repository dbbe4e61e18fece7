"""The command line's option types: moments and spans, read once at the edge.

A bad value is a usage error naming the option, never a traceback; a moment
must say its zone, and a span is written as the settings file writes one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import click

from reminders.settings import parse_duration

__all__ = ["DURATION", "INSTANT", "moment_or_now"]


class _Instant(click.ParamType):  # type: ignore[type-arg]
    """An ISO 8601 date-time with an offset or a zone: ``2011-02-23T09:05-05:00``."""

    name = "ISO-DATETIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO date-time such as 2011-02-23T09:05-05:00")
        if parsed.tzinfo is None:
            self.fail(f"{value!r} needs an offset or Z, such as 2011-02-23T09:05-05:00")
        return parsed


INSTANT = _Instant()


class _Duration(click.ParamType):  # type: ignore[type-arg]
    """A span as the settings file writes one: ``3 days``, ``1 hour``, ``90 minutes``."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as error:
            self.fail(str(error))


DURATION = _Duration()


def moment_or_now(value: datetime | None) -> datetime:
    """The moment a ``--now`` option named, or the clock's."""
    return value if value is not None else datetime.now(UTC)
