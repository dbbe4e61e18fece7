"""Every public URL: the feed files, and one-click links into calendar services.

All are pure functions of the base URL and a meeting, shared by the landing
page and the emails so that both always point at the same places. Query
values are percent-encoded as ``urllib.parse.urlencode`` does; nothing here
redirects through a third party or carries a subscriber's address.

A landing page carries three such links per meeting, so query strings are
encoded by :func:`query`, which gives ``urlencode``'s bytes (a test holds the
two equal) through one ``str.translate`` per value instead of a Python step
per character.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Iterable
from datetime import UTC
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from reminders.i18n.languages import TBD_LOCATION
from reminders.inputs.meetings import Meeting

__all__ = [
    "city_feed_url",
    "feed_url",
    "google_event_url",
    "google_subscribe_url",
    "map_url",
    "meeting_ics_url",
    "meeting_page_url",
    "outlook_event_url",
    "outlook_subscribe_url",
    "query",
    "webcal_url",
]

FEED = "meetings.ics"

# quote_plus with nothing safe beyond RFC 3986's unreserved characters, as one table over
# the bytes of the value's UTF-8 (read as Latin-1, one character per byte).
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "_.-~")
_PLUS = {byte: f"%{byte:02X}" for byte in range(256) if chr(byte) not in _UNRESERVED}
_PLUS[ord(" ")] = "+"


def query(fields: Iterable[tuple[str, str]]) -> str:
    """``urlencode(fields)``: each name and value percent-encoded as ``quote_plus`` does."""
    return "&".join(f"{_plus(name)}={_plus(value)}" for name, value in fields)


# The names, and values such as a series' title, zone and towns, recur on every link.
@functools.lru_cache(maxsize=4096)
def _plus(text: str) -> str:
    return text.encode().decode("latin-1").translate(_PLUS)


def feed_url(base_url: str) -> str:
    """The subscribable feed of the whole series."""
    return urljoin(base_url, FEED)


@functools.lru_cache(maxsize=16)
def _meetings_folder(base_url: str) -> str:
    return urljoin(base_url, "meetings/")


def meeting_ics_url(base_url: str, meeting: Meeting) -> str:
    """One meeting's own .ics file."""
    # A meeting id is one path segment (a-z, 0-9, hyphens), so joining it to the folder
    # is what urljoin would make of the whole path, once per meeting.
    return f"{_meetings_folder(base_url)}{quote(meeting.id)}.ics"


def city_feed_url(base_url: str, slug: str) -> str:
    """The subscribable feed of one city's meetings."""
    return urljoin(base_url, f"cities/{quote(slug)}.ics")


def meeting_page_url(base_url: str, meeting: Meeting) -> str:
    """The meeting's entry on the landing page."""
    return f"{base_url}#{quote(meeting.id)}"


def webcal_url(url: str) -> str:
    """The ``webcal://`` form of a feed URL, which calendar apps open as a subscription."""
    parts = urlsplit(url)
    return urlunsplit(("webcal", *parts[1:]))


def google_subscribe_url(url: str) -> str:
    """Google Calendar's "add by URL" link for a feed."""
    return "https://calendar.google.com/calendar/r?" + query([("cid", webcal_url(url))])


def outlook_subscribe_url(url: str, name: str, service: str = "live") -> str:
    """Outlook's ``addfromweb`` link: ``live`` for Outlook.com, ``office`` for Microsoft 365."""
    host = {"live": "outlook.live.com", "office": "outlook.office.com"}[service]
    return f"https://{host}/calendar/0/addfromweb?" + query([("url", url), ("name", name)])


def _location(meeting: Meeting) -> str:
    return meeting.location or TBD_LOCATION


def google_event_url(meeting: Meeting, details: str) -> str:
    """Google Calendar's "add this event" template link."""
    span = "/".join(f"{t.astimezone(UTC):%Y%m%dT%H%M%SZ}" for t in (meeting.start, meeting.end))
    fields = [
        ("action", "TEMPLATE"),
        ("text", meeting.title),
        ("dates", span),
        ("ctz", meeting.zone.key),
        ("details", details),
        ("location", _location(meeting)),
    ]
    return "https://calendar.google.com/calendar/render?" + query(fields)


def outlook_event_url(meeting: Meeting, details: str, service: str = "live") -> str:
    """Outlook's "add this event" compose link."""
    host = {"live": "outlook.live.com", "office": "outlook.office.com"}[service]
    fields = [
        ("path", "/calendar/action/compose"),
        ("rru", "addevent"),
        ("subject", meeting.title),
        ("startdt", meeting.start.isoformat()),
        ("enddt", meeting.end.isoformat()),
        ("location", _location(meeting)),
        ("body", details),
    ]
    return f"https://{host}/calendar/0/deeplink/compose?" + query(fields)


def map_url(meeting: Meeting) -> str | None:
    """An OpenStreetMap search for the meeting's address (or venue and city)."""
    if meeting.venue_tbd:
        return None
    place = meeting.address or f"{meeting.venue}"
    if meeting.city.casefold() not in place.casefold():
        place = f"{place}, {meeting.city}"  # "12 Main St" alone is in every town
    return "https://www.openstreetmap.org/search?" + query([("query", place)])
