"""Readers of setting values: a raw TOML value in, a typed value out, or ValueError.

Each reader's message says what a good value looks like; the loader adds
the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time, timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from reminders.inputs.subscribers import parse_address
from reminders.inputs.text import LANGUAGE_TAG
from reminders.inputs.wallclock import WallClockError, parse_time
from reminders.mail.handover import TransportError
from reminders.mail.smtp import parse_smtp_url
from reminders.store.base import is_server

__all__ = [
    "parse_duration",
    "read_address",
    "read_base_url",
    "read_choice",
    "read_clock",
    "read_flag",
    "read_iso_duration",
    "read_offsets",
    "read_optional_address",
    "read_optional_duration",
    "read_optional_positive",
    "read_optional_string",
    "read_path",
    "read_positive",
    "read_region",
    "read_sms_provider",
    "read_sms_transport",
    "read_state",
    "read_string",
    "read_tags",
    "read_transport",
]


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


def read_optional_duration(text: Any) -> timedelta | None:
    """A duration, or None for the empty string (the feature is off)."""
    return parse_duration(text) if read_optional_string(text) else None


def read_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def read_iso_duration(text: Any) -> timedelta:
    match = _ISO_DURATION.match(text) if isinstance(text, str) else None
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{text!r} is not an RFC 5545 duration such as 'PT6H' or 'P1D'")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    value = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if value < timedelta(minutes=15):
        raise ValueError(f"{text!r} is too short: calendar apps poll no faster than every 15 min")
    return value


def read_string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def read_optional_string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value.strip()


def read_path(value: Any) -> str:
    return read_string(value)


def read_address(value: Any) -> Address:
    text = read_string(value)
    name, spec = parseaddr(text)
    local, _, domain = spec.partition("@")
    try:
        parse_address(spec)  # as a subscriber's: local@domain, the domain a host name
    except ValueError:
        raise ValueError(f"{text!r} is not an address such as 'Name <a@example.org>'") from None
    try:
        return Address(name, local, domain)
    except (ValueError, IndexError, HeaderParseError) as error:
        raise ValueError(f"{text!r} is not an address: {error}") from None


def read_optional_address(value: Any) -> Address | None:
    return read_address(value) if read_optional_string(value) else None


def read_transport(value: Any) -> str:
    text = read_string(value)
    if text.startswith("maildir:"):
        if not text.removeprefix("maildir:").strip():
            raise ValueError("maildir: needs a folder, such as 'maildir:var/outbox'")
        return text
    try:
        parse_smtp_url(text)
    except TransportError as error:
        raise ValueError(str(error)) from None
    return text


def read_sms_transport(value: Any) -> str:
    text = read_optional_string(value)
    if text and (not text.startswith("file:") or not text.removeprefix("file:").strip()):
        raise ValueError("must be empty (the provider) or file:PATH, such as 'file:var/sms'")
    return text


def read_sms_provider(value: Any) -> str:
    import importlib.util

    text = read_choice("", "twilio")(value)
    if text == "twilio" and importlib.util.find_spec("twilio") is None:
        raise ValueError("'twilio' needs the twilio package: pip install 'reminders[sms]'")
    return text


def read_region(value: Any) -> str:
    import phonenumbers

    text = read_string(value).upper()
    if text not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{text!r} is not a region code such as 'US' or 'BR'")
    return text


def read_state(value: Any) -> str:
    text = read_string(value)
    if "://" in text and not is_server(text):
        raise ValueError(f"{text.split('://')[0]!r} is not a state store: a path or postgresql://")
    return text


def read_base_url(value: Any) -> str:
    text = read_string(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{text!r} must be an http(s) URL such as 'https://example.org/meetings/'")
    return text if text.endswith("/") else text + "/"


def read_offsets(value: Any) -> tuple[timedelta, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError('must be a non-empty list such as ["3 days", "2 hours"]')
    offsets = tuple(parse_duration(item) for item in value)
    if len(set(offsets)) != len(offsets):
        raise ValueError("lists the same offset twice")
    return tuple(sorted(offsets, reverse=True))


def read_clock(value: Any) -> time:
    try:
        return parse_time(value) if isinstance(value, str) else _fail("must be a time like '09:00'")
    except WallClockError as error:
        raise ValueError(str(error)) from None


# No count or number of seconds here is sensibly larger; bounding them keeps every
# computation with them (a lease of timeout times batch, say) in range.
LARGEST = 1_000_000


def read_positive(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= LARGEST:
        raise ValueError(f"must be a whole number from 1 to {LARGEST:,}")
    return value


def read_optional_positive(value: Any) -> int:
    return 0 if value == 0 else read_positive(value)


def read_tags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError('must be a list of language tags such as ["ht", "ar"]')
    bad = [v for v in value if not LANGUAGE_TAG.match(v)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a language tag such as 'ht' or 'pt-BR'")
    return tuple(value)


def read_choice(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(repr(c) for c in choices)}")
        return str(value)

    return check


def _fail(message: str) -> Any:
    raise ValueError(message)
