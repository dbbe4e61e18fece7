"""The web pages: a Jinja2 environment over ``templates/web`` and what pages see.

Autoescaping is on for every page and undefined names are errors, so a
typo in a template fails the build instead of publishing a blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reminders.feed import TBD_LOCATION, FeedOptions, shown
from reminders.links import (
    city_feed_url,
    feed_url,
    google_event_url,
    google_subscribe_url,
    map_url,
    meeting_ics_url,
    outlook_event_url,
    outlook_subscribe_url,
    webcal_url,
)
from reminders.meetings import Meeting, Series, slug
from reminders.phrasing import day_phrase, time_range_phrase, zone_phrase

__all__ = ["MeetingView", "landing_page", "web_environment"]


def web_environment(templates: Path) -> Environment:
    """A Jinja2 environment for the pages under ``templates/web``."""
    return Environment(
        loader=FileSystemLoader(templates / "web"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingView:
    """One meeting as a page shows it, with its links."""

    meeting: Meeting
    day: str
    hours: str
    zone: str
    location: str
    ics_url: str
    google_url: str
    outlook_url: str
    map_url: str | None


def meeting_view(meeting: Meeting, options: FeedOptions) -> MeetingView:
    """Prepare a meeting for a page."""
    details = shown(meeting, options).description
    return MeetingView(
        meeting=meeting,
        day=day_phrase(meeting.start),
        hours=time_range_phrase(meeting.start, meeting.end),
        zone=zone_phrase(meeting.start),
        location=meeting.location or TBD_LOCATION,
        ics_url=meeting_ics_url(options.base_url, meeting),
        google_url=google_event_url(meeting, details),
        outlook_url=outlook_event_url(meeting, details),
        map_url=map_url(meeting),
    )


def landing_page(
    env: Environment,
    series: Series,
    options: FeedOptions,
    signup: Mapping[str, Any] | None = None,
    base_path: str = "",
) -> str:
    """Render the landing page: the meetings by date and the ways to subscribe.

    The static ``index.html`` links to the sign-up page; the web application
    passes ``signup`` (a CSRF token, the languages) to show the form itself.
    """
    url = feed_url(options.base_url)
    return env.get_template("index.html.j2").render(
        signup=signup,
        base_path=base_path,
        series=series,
        meetings=[meeting_view(m, options) for m in series],
        feed_url=url,
        webcal_url=webcal_url(url),
        google_subscribe_url=google_subscribe_url(url),
        outlook_url=outlook_subscribe_url(url, series.name, "live"),
        office_url=outlook_subscribe_url(url, series.name, "office"),
        cities=[(city, city_feed_url(options.base_url, slug(city))) for city in series.cities],
    )
