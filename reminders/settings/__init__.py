"""Operator settings: one typed spec of ``reminders.toml``, validated at start.

``spec`` lists every key, ``readers`` reads each value, ``model`` holds the
typed sections and loads the file; lower layers receive the values they
need, never the whole :class:`Settings`.
"""

from __future__ import annotations

from reminders.settings.model import (
    AttendanceSettings,
    BounceSettings,
    FeedSettings,
    MailSettings,
    NoticeSettings,
    QueueSettings,
    ReminderSettings,
    Settings,
    SmsSettings,
    find_settings,
    load_settings,
)
from reminders.settings.readers import parse_duration
from reminders.settings.spec import SETTINGS

__all__ = [
    "SETTINGS",
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
    "parse_duration",
]
