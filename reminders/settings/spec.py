"""The settings spec: every key of ``reminders.toml``, its reader, default and meaning.

One table, as todoman's configuration does it: the loader, the bundled
``reminders.toml`` and the README's table all follow it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reminders.settings.readers import (
    parse_duration,
    read_address,
    read_base_url,
    read_choice,
    read_clock,
    read_flag,
    read_iso_duration,
    read_offsets,
    read_optional_address,
    read_optional_duration,
    read_optional_positive,
    read_optional_string,
    read_path,
    read_positive,
    read_region,
    read_sms_provider,
    read_sms_transport,
    read_state,
    read_string,
    read_tags,
    read_transport,
)

__all__ = ["SECTIONS", "SETTINGS", "Entry"]


def read_tags_one(value: Any) -> str:
    return read_tags([value])[0]


@dataclass(frozen=True, slots=True)
class Entry:
    """One setting: where it lives, how it is read, its default and what it means."""

    section: str
    key: str
    read: Callable[[Any], Any]
    default: Any
    description: str


SETTINGS = (
    Entry("", "meetings", read_path, "data/meetings.toml", "The meetings file."),
    Entry(
        "", "subscribers", read_path, "data/subscribers.example.csv", "The subscribers CSV file."
    ),
    Entry(
        "",
        "state",
        read_state,
        "var/state.db",
        "The SQLite state file (created on first use), or a postgresql:// URL.",
    ),
    Entry("", "public", read_path, "public", "Folder the feed and landing page are written to."),
    Entry(
        "",
        "templates",
        read_optional_string,
        "",
        "Folder whose email/ and web/ templates override the bundled ones, file by file.",
    ),
    Entry(
        "",
        "locale",
        read_optional_string,
        "",
        "Folder whose gettext catalogs override the bundled ones, language by language.",
    ),
    Entry("", "base_url", read_base_url, "http://localhost:8000/", "Public URL of the folder."),
    Entry("feed", "refresh", read_iso_duration, "PT6H", "How often calendar apps should poll."),
    Entry("reminders", "offsets", read_offsets, ["3 days"], "How long before a meeting to remind."),
    Entry(
        "reminders", "send_time", read_clock, "09:00", "Local send time of day-offset reminders."
    ),
    Entry(
        "reminders", "schedule", read_string, "*/10 * * * *", "Crontab schedule of daemon ticks."
    ),
    Entry(
        "mail", "from", read_address, "Meeting reminders <reminders@example.org>", "From header."
    ),
    Entry("mail", "reply_to", read_optional_address, "", "Optional Reply-To header."),
    Entry(
        "mail",
        "transport",
        read_transport,
        "maildir:var/outbox",
        "maildir:PATH, smtp:// or smtps://",
    ),
    Entry("mail", "max_per_minute", read_optional_positive, 0, "Send-rate limit; 0 for none."),
    Entry("mail", "timeout", read_positive, 30, "SMTP timeout in seconds."),
    Entry(
        "mail",
        "dkim_selector",
        read_optional_string,
        "",
        "Sign each message with DKIM under this selector (key file in $REMINDERS_DKIM_KEY_FILE).",
    ),
    Entry("mail", "dkim_domain", read_optional_string, "", "DKIM domain; default the From domain."),
    Entry(
        "mail",
        "bounce_address",
        read_optional_address,
        "",
        "Where bounces go (each message's return path adds +token); default bounces@ the "
        "From domain.",
    ),
    Entry(
        "bounces",
        "maildir",
        read_optional_string,
        "",
        "A Maildir the daemon reads bounces and complaints from on each tick; empty: none.",
    ),
    Entry(
        "bounces",
        "imap",
        read_optional_string,
        "",
        "imaps://user@host/folder the daemon reads bounces from (password in "
        "$REMINDERS_IMAP_PASSWORD) when no maildir is set; empty: none.",
    ),
    Entry("bounces", "hard", read_positive, 1, "Permanent failures before an address is dropped."),
    Entry(
        "bounces",
        "soft",
        read_positive,
        5,
        "Temporary failures in a row (no delivery in between) before an address is dropped.",
    ),
    Entry(
        "web",
        "trusted_proxies",
        read_optional_positive,
        0,
        "How many reverse proxies (nginx) stand before `reminders serve`; their "
        "X-Forwarded-For then names the client for the sign-up rate limit.",
    ),
    Entry(
        "languages",
        "allow_drafts",
        read_tags,
        [],
        "Languages whose unreviewed (draft) translations may be sent.",
    ),
    Entry("queue", "batch", read_positive, 20, "Deliveries a sender claims at a time."),
    Entry(
        "queue",
        "lease",
        parse_duration,
        "15 minutes",
        "How long a claim holds before another sender may take it; "
        "longer than [mail] timeout times [queue] batch.",
    ),
    Entry(
        "notices", "audience", read_choice("reminded", "all"), "reminded", "Who hears of changes."
    ),
    Entry(
        "notices",
        "late_venue_before",
        parse_duration,
        "1 day",
        "A venue announced after its reminder window still gets a reminder if the meeting "
        "is at least this far off.",
    ),
    Entry(
        "attendance",
        "notify",
        read_optional_address,
        "",
        "Who gets a daily summary of the answers in the week before each meeting; empty: nobody.",
    ),
    Entry(
        "attendance",
        "language",
        read_tags_one,
        "en",
        "The language of the daily summary (a usable one, else English).",
    ),
    Entry(
        "attendance",
        "day_of",
        read_optional_duration,
        "",
        "An extra reminder this long before the start, only to people who said they "
        "will come; empty: none.",
    ),
    Entry(
        "attendance",
        "public",
        read_flag,
        False,
        "Show on the landing page roughly how many people plan to come (never a number below 5).",
    ),
    Entry(
        "sms",
        "provider",
        read_sms_provider,
        "",
        "Send texts through this provider (account SID and auth token in "
        "$TWILIO_ACCOUNT_SID and $TWILIO_AUTH_TOKEN); empty: no texts.",
    ),
    Entry(
        "sms",
        "transport",
        read_sms_transport,
        "",
        "file:PATH writes each text to a folder as JSON instead (development, the demo).",
    ),
    Entry("sms", "region", read_region, "US", "Where numbers without +country are read."),
    Entry("sms", "from", read_optional_string, "", "The provider number texts come from."),
    Entry(
        "sms",
        "messaging_service",
        read_optional_string,
        "",
        "A Twilio Messaging Service SID to send through, instead of a From number.",
    ),
    Entry(
        "sms",
        "api_url",
        read_base_url,
        "https://api.twilio.com/",
        "The provider's API address (tests point it at 127.0.0.1).",
    ),
    Entry("sms", "quiet_start", read_clock, "21:00", "No texts from this local time..."),
    Entry("sms", "quiet_end", read_clock, "08:00", "...until this one (in each meeting's zone)."),
    Entry("sms", "max_per_second", read_positive, 1, "Texts per second (a long code's limit)."),
    Entry(
        "sms",
        "max_segments",
        read_positive,
        2,
        "`reminders check` fails a text template longer than this many segments.",
    ),
)

SECTIONS = {entry.section for entry in SETTINGS if entry.section}
