"""Operator settings, typed: each section a frozen value, read and validated at start.

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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from reminders import bundled
from reminders.bundled import search_path
from reminders.errors import ConfigError, DataError, Problem
from reminders.inputs.toml_lines import TomlDocument, read_toml, unknown_key
from reminders.publish.feed import FeedOptions
from reminders.settings.readers import read_state
from reminders.settings.spec import SECTIONS, SETTINGS
from reminders.store.base import is_server

__all__ = [
    "AttendanceSettings",
    "BounceSettings",
    "FeedSettings",
    "MailSettings",
    "NoticeSettings",
    "QueueSettings",
    "ReminderSettings",
    "Settings",
    "SmsSettings",
    "find_settings",
    "load_settings",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedSettings:
    """``[feed]``: what the feed tells calendar apps."""

    refresh: timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class ReminderSettings:
    """``[reminders]``: when reminders go, and how often the daemon looks."""

    offsets: tuple[timedelta, ...]
    send_time: time
    schedule: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MailSettings:
    """``[mail]``: who messages come from and how they are handed over."""

    sender: Address
    reply_to: Address | None
    transport: str
    max_per_minute: int
    timeout: int
    bounce_address: Address  # the return path's base: bounces+token@domain
    dkim_selector: str  # empty: no signing here (the relay signs)
    dkim_domain: str

    @property
    def timeout_span(self) -> timedelta:
        """The longest one SMTP exchange may take."""
        return timedelta(seconds=self.timeout)


@dataclass(frozen=True, slots=True, kw_only=True)
class BounceSettings:
    """``[bounces]``: where returned mail is read, and when an address is dropped."""

    maildir: Path | None
    imap: str  # imaps://user@host/folder, or empty
    hard: int
    soft: int

    @property
    def mailbox(self) -> Path | str | None:
        """The mailbox to read: the Maildir when one is named, else the IMAP folder, else none."""
        return self.maildir or self.imap or None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueSettings:
    """``[queue]``: how senders share the work queue."""

    batch: int
    lease: timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeSettings:
    """``[notices]``: who hears of changes, and how late a venue may come."""

    audience: str
    late_venue_before: timedelta


@dataclass(frozen=True, slots=True, kw_only=True)
class AttendanceSettings:
    """``[attendance]``: who hears the counts, the day-of reminder, what the public sees."""

    notify: Address | None
    language: str
    day_of: timedelta | None
    public: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsSettings:
    """``[sms]``: the text channel's provider, numbers, quiet hours and limits."""

    provider: str
    transport: str
    region: str
    sender: str
    messaging_service: str
    api_url: str
    quiet_start: time
    quiet_end: time
    max_per_second: int
    max_segments: int

    @property
    def enabled(self) -> bool:
        """Whether texts are sent at all."""
        return bool(self.provider or self.transport)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Validated operator settings, each section typed, every path made absolute."""

    source: Path | None
    root: Path
    meetings: Path
    subscribers: Path
    state: Path | str  # the SQLite file's path, or the PostgreSQL server's URL
    public: Path
    templates: tuple[Path, ...]  # folders holding email/ and web/, searched in order
    locale: tuple[Path, ...]  # folders of catalogs, searched in order
    base_url: str
    feed: FeedSettings
    reminders: ReminderSettings
    mail: MailSettings
    queue: QueueSettings
    notices: NoticeSettings
    bounces: BounceSettings
    attendance: AttendanceSettings
    sms: SmsSettings
    trusted_proxies: int
    allow_drafts: tuple[str, ...]

    @property
    def email_templates(self) -> tuple[Path, ...]:
        return tuple(folder / "email" for folder in self.templates)

    @property
    def feed_options(self) -> FeedOptions:
        """What the feeds need of the settings."""
        return FeedOptions(base_url=self.base_url, refresh=self.feed.refresh)


def _settings(path: Path | None, root: Path, values: Mapping[tuple[str, str], Any]) -> Settings:
    def where(name: str) -> Path:
        return (root / str(values[("", name)])).resolve()

    def chosen(name: str) -> Path | None:
        return where(name) if values[("", name)] else None

    def chosen_in(section: str, name: str) -> Path | None:
        text = values[(section, name)]
        return (root / text).resolve() if text else None

    state = str(values[("", "state")])
    return Settings(
        source=path,
        root=root,
        meetings=where("meetings"),
        subscribers=where("subscribers"),
        state=state if is_server(state) else where("state"),
        public=where("public"),
        templates=search_path(chosen("templates"), bundled.TEMPLATES),
        locale=search_path(chosen("locale"), bundled.LOCALE),
        base_url=values[("", "base_url")],
        feed=FeedSettings(refresh=values[("feed", "refresh")]),
        reminders=ReminderSettings(
            offsets=values[("reminders", "offsets")],
            send_time=values[("reminders", "send_time")],
            schedule=values[("reminders", "schedule")],
        ),
        mail=MailSettings(
            sender=values[("mail", "from")],
            reply_to=values[("mail", "reply_to")],
            transport=values[("mail", "transport")],
            max_per_minute=values[("mail", "max_per_minute")],
            timeout=values[("mail", "timeout")],
            bounce_address=values[("mail", "bounce_address")]
            or Address("", "bounces", values[("mail", "from")].domain),
            dkim_selector=values[("mail", "dkim_selector")],
            dkim_domain=values[("mail", "dkim_domain")] or values[("mail", "from")].domain,
        ),
        bounces=BounceSettings(
            maildir=chosen_in("bounces", "maildir"),
            imap=values[("bounces", "imap")],
            hard=values[("bounces", "hard")],
            soft=values[("bounces", "soft")],
        ),
        queue=QueueSettings(batch=values[("queue", "batch")], lease=values[("queue", "lease")]),
        notices=NoticeSettings(
            audience=values[("notices", "audience")],
            late_venue_before=values[("notices", "late_venue_before")],
        ),
        attendance=AttendanceSettings(
            notify=values[("attendance", "notify")],
            language=values[("attendance", "language")],
            day_of=values[("attendance", "day_of")],
            public=values[("attendance", "public")],
        ),
        sms=SmsSettings(
            provider=values[("sms", "provider")],
            transport=values[("sms", "transport")],
            region=values[("sms", "region")],
            sender=values[("sms", "from")],
            messaging_service=values[("sms", "messaging_service")],
            api_url=values[("sms", "api_url")],
            quiet_start=values[("sms", "quiet_start")],
            quiet_end=values[("sms", "quiet_end")],
            max_per_second=values[("sms", "max_per_second")],
            max_segments=values[("sms", "max_segments")],
        ),
        trusted_proxies=values[("web", "trusted_proxies")],
        allow_drafts=values[("languages", "allow_drafts")],
    )


def find_settings(option: Path | None, cwd: Path) -> Path | None:
    """Pick the settings file: the option, then ``$REMINDERS_CONFIG``, then ``./reminders.toml``."""
    if option is not None:
        return option
    if env := os.environ.get("REMINDERS_CONFIG"):
        return Path(env)
    default = cwd / "reminders.toml"
    return default if default.exists() else None


def load_settings(path: Path | None, cwd: Path) -> Settings:
    """Read and validate the settings file, or take every default when there is none."""
    try:
        doc = read_toml(path) if path else TomlDocument(Path("(defaults)"), {})
    except DataError as error:
        raise ConfigError(error.problems) from None
    problems: list[Problem] = []
    values = _read_values(doc, problems)
    if env := os.environ.get("REMINDERS_STATE"):
        try:
            values[("", "state")] = read_state(env)
        except ValueError as error:
            problems.append(Problem(path="$REMINDERS_STATE", line=None, message=str(error)))
    if not problems:
        _check_lease(doc, values, problems)
    if problems:
        raise ConfigError(problems)
    return _settings(path, path.resolve().parent if path else cwd, values)


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


def _read_values(doc: TomlDocument, problems: list[Problem]) -> dict[tuple[str, str], Any]:
    known = {(e.section, e.key) for e in SETTINGS}
    for name, value in doc.data.items():
        if isinstance(value, dict) and name in SECTIONS:
            for key in value:
                if (name, key) not in known:
                    keys = tuple(k for s, k in known if s == name)
                    problems.append(
                        doc.problem(unknown_key(f"[{name}] key", key, keys), name, None, key)
                    )
        elif ("", name) not in known:
            keys = tuple(k for s, k in known if not s) + tuple(f"[{s}]" for s in SECTIONS)
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
