"""Operator settings: one typed spec of ``reminders.toml``, validated at start.

The file is found through ``--config PATH``, then ``$REMINDERS_CONFIG``, then
``./reminders.toml``; without any, every key takes its default, which works on
the bundled data. Paths are relative to the settings file (or to the current
folder when there is none). Secrets never live here: the SMTP password and
the token secret come from the environment, and ``$REMINDERS_STATE``, when
set, replaces ``state`` (so a PostgreSQL connection string can come from the
service's environment).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from reminders.errors import ConfigError, DataError, Problem
from reminders.store.base import is_server
from reminders.inputs.toml_lines import SourceMap, TomlDocument, read_toml, unknown_key
from reminders.inputs.wallclock import WallClockError, parse_time

__all__ = ["SETTINGS", "Settings", "find_settings", "load_settings", "parse_duration"]

_DURATION = re.compile(
    r"^\s*(\d+)\s*(s|sec|seconds?|m|min|minutes?|h|hours?|d|days?|w|weeks?)\s*$", re.IGNORECASE
)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_ISO_DURATION = re.compile(r"^P(?:(\d+)W|(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?)$")


def parse_duration(text: str) -> timedelta:
    """Read ``3 days``, ``2 hours``, ``30 minutes``, ``90 seconds``, or ``3d``, ``2h``, ``30m``."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as '3 days' or '2 hours'")
    amount, unit = int(match.group(1)), _UNITS[match.group(2)[0].lower()]
    if amount <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return timedelta(**{unit: amount})


def _iso_duration(text: Any) -> timedelta:
    match = _ISO_DURATION.match(text) if isinstance(text, str) else None
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{text!r} is not an RFC 5545 duration such as 'PT6H' or 'P1D'")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    value = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if value < timedelta(minutes=15):
        raise ValueError(f"{text!r} is too short: calendar apps poll no faster than every 15 min")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _optional_string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value.strip()


def _path(value: Any) -> str:
    return _string(value)


def _state(value: Any) -> str:
    text = _string(value)
    if "://" in text and not is_server(text):
        raise ValueError(f"{text.split('://')[0]!r} is not a state store: a path or postgresql://")
    return text


def _base_url(value: Any) -> str:
    text = _string(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{text!r} must be an http(s) URL such as 'https://example.org/meetings/'")
    return text if text.endswith("/") else text + "/"


def _offsets(value: Any) -> tuple[timedelta, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError('must be a non-empty list such as ["3 days", "2 hours"]')
    offsets = tuple(parse_duration(item) for item in value)
    if len(set(offsets)) != len(offsets):
        raise ValueError("lists the same offset twice")
    return tuple(sorted(offsets, reverse=True))


def _clock(value: Any) -> time:
    try:
        return parse_time(value) if isinstance(value, str) else _fail("must be a time like '09:00'")
    except WallClockError as error:
        raise ValueError(str(error)) from None


def _positive(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError("must be a whole number above zero")
    return value


def _optional_positive(value: Any) -> int:
    return 0 if value == 0 else _positive(value)


def _tags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError('must be a list of language tags such as ["ht", "ar"]')
    bad = [v for v in value if not re.match(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$", v)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a language tag such as 'ht' or 'pt-BR'")
    return tuple(value)


def _choice(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(repr(c) for c in choices)}")
        return str(value)

    return check


def _fail(message: str) -> Any:
    raise ValueError(message)


@dataclass(frozen=True, slots=True)
class Entry:
    """One setting: where it lives, how it is read, its default and what it means."""

    section: str
    key: str
    read: Callable[[Any], Any]
    default: Any
    description: str


SETTINGS = (
    Entry("", "meetings", _path, "data/meetings.toml", "The meetings file."),
    Entry("", "subscribers", _path, "data/subscribers.example.csv", "The subscribers CSV file."),
    Entry(
        "",
        "state",
        _state,
        "var/state.db",
        "The SQLite state file (created on first use), or a postgresql:// URL.",
    ),
    Entry("", "public", _path, "public", "Folder the feed and landing page are written to."),
    Entry("", "templates", _path, "templates", "Folder of the email/ and web/ templates."),
    Entry("", "locale", _path, "locale", "Folder of the gettext catalogs."),
    Entry("", "base_url", _base_url, "http://localhost:8000/", "Public URL of the folder."),
    Entry("feed", "refresh", _iso_duration, "PT6H", "How often calendar apps should poll."),
    Entry("reminders", "offsets", _offsets, ["3 days"], "How long before a meeting to remind."),
    Entry("reminders", "send_time", _clock, "09:00", "Local send time of day-offset reminders."),
    Entry("reminders", "schedule", _string, "*/10 * * * *", "Crontab schedule of daemon ticks."),
    Entry("mail", "from", _string, "Meeting reminders <reminders@example.org>", "From header."),
    Entry("mail", "reply_to", _optional_string, "", "Optional Reply-To header."),
    Entry("mail", "transport", _string, "maildir:var/outbox", "maildir:PATH, smtp:// or smtps://"),
    Entry("mail", "max_per_minute", _optional_positive, 0, "Send-rate limit; 0 for none."),
    Entry("mail", "timeout", _positive, 30, "SMTP timeout in seconds."),
    Entry(
        "web",
        "trusted_proxies",
        _optional_positive,
        0,
        "How many reverse proxies (nginx) stand before `reminders serve`; their "
        "X-Forwarded-For then names the client for the sign-up rate limit.",
    ),
    Entry(
        "languages",
        "allow_drafts",
        _tags,
        [],
        "Languages whose unreviewed (draft) translations may be sent.",
    ),
    Entry("queue", "batch", _positive, 20, "Deliveries a sender claims at a time."),
    Entry(
        "queue",
        "lease",
        parse_duration,
        "15 minutes",
        "How long a claim holds before another sender may take it; "
        "longer than [mail] timeout times [queue] batch.",
    ),
    Entry("notices", "audience", _choice("reminded", "all"), "reminded", "Who hears of changes."),
    Entry(
        "notices",
        "late_venue_before",
        parse_duration,
        "1 day",
        "A venue announced after its reminder window still gets a reminder if the meeting "
        "is at least this far off.",
    ),
)
_SECTIONS = {entry.section for entry in SETTINGS if entry.section}


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Validated operator settings, with every path made absolute."""

    source: Path | None
    root: Path
    values: Mapping[tuple[str, str], Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        section, _, key = name.rpartition(".")
        return self.values[(section, key)]

    def path(self, name: str) -> Path:
        """Return a path setting resolved against the settings file's folder."""
        return (self.root / str(self[name])).resolve()

    @property
    def meetings(self) -> Path:
        return self.path("meetings")

    @property
    def state(self) -> Path | str:
        """The SQLite file's path, or the PostgreSQL server's URL."""
        location = str(self["state"])
        return location if is_server(location) else self.path("state")

    @property
    def public(self) -> Path:
        return self.path("public")

    @property
    def templates(self) -> Path:
        return self.path("templates")

    @property
    def base_url(self) -> str:
        return str(self["base_url"])


def find_settings(option: Path | None, cwd: Path) -> Path | None:
    """Pick the settings file: the option, then ``$REMINDERS_CONFIG``, then ``./reminders.toml``."""
    if option is not None:
        return option
    if env := os.environ.get("REMINDERS_CONFIG"):
        return Path(env)
    default = cwd / "reminders.toml"
    return default if default.exists() else None


def load_settings(path: Path | None, cwd: Path, **overrides: Any) -> Settings:
    """Read and validate the settings file, or take every default when there is none."""
    try:
        doc = read_toml(path) if path else TomlDocument(Path("(defaults)"), {}, SourceMap())
    except DataError as error:
        raise ConfigError(error.problems) from None
    problems: list[Problem] = []
    values = _read_values(doc, problems)
    if env := os.environ.get("REMINDERS_STATE"):
        try:
            values[("", "state")] = _state(env)
        except ValueError as error:
            problems.append(Problem(path="$REMINDERS_STATE", line=None, message=str(error)))
    if not problems:
        _check_lease(doc, values, problems)
    if problems:
        raise ConfigError(problems)
    root = path.resolve().parent if path else cwd
    return Settings(source=path, root=root, values=_override(values, overrides))


def _check_lease(
    doc: TomlDocument, values: Mapping[tuple[str, str], Any], problems: list[Problem]
) -> None:
    # A sender must finish its batch, each send taking up to the timeout, inside its lease.
    lease: timedelta = values[("queue", "lease")]
    needed = timedelta(seconds=values[("mail", "timeout")] * values[("queue", "batch")])
    if lease <= needed:
        problems.append(
            doc.problem(
                f"queue.lease: {lease} must be longer than [mail] timeout times [queue] "
                f"batch ({needed}), or another sender may take claims still being sent",
                "queue",
                None,
                "lease",
            )
        )


def _override(
    values: dict[tuple[str, str], Any], overrides: Mapping[str, Any]
) -> dict[tuple[str, str], Any]:
    for name, value in overrides.items():
        if value is not None:
            section, _, key = name.rpartition(".")
            values[(section, key)] = value
    return values


def _read_values(doc: TomlDocument, problems: list[Problem]) -> dict[tuple[str, str], Any]:
    known = {(e.section, e.key) for e in SETTINGS}
    for name, value in doc.data.items():
        if isinstance(value, dict) and name in _SECTIONS:
            for key in value:
                if (name, key) not in known:
                    keys = tuple(k for s, k in known if s == name)
                    problems.append(
                        doc.problem(unknown_key(f"[{name}] key", key, keys), name, None, key)
                    )
        elif ("", name) not in known:
            keys = tuple(k for s, k in known if not s) + tuple(f"[{s}]" for s in _SECTIONS)
            problems.append(doc.problem(unknown_key("key", name, keys), key=name))
    values: dict[tuple[str, str], Any] = {}
    for entry in SETTINGS:
        table = doc.data.get(entry.section, {}) if entry.section else doc.data
        raw = table.get(entry.key, entry.default) if isinstance(table, dict) else entry.default
        try:
            values[(entry.section, entry.key)] = entry.read(raw)
        except ValueError as error:
            name = f"{entry.section}.{entry.key}" if entry.section else entry.key
            problems.append(doc.problem(f"{name}: {error}", entry.section, None, entry.key))
    return values
