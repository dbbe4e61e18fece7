"""The web pages: what the landing page and the application's pages see of the series.

Pages are rendered from ``templates/web`` with autoescaping on and undefined
names as errors (:mod:`reminders.i18n.environments`), so a typo in a template
fails the build instead of publishing a blank; each language gets its own
environment with its catalog installed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from reminders.attendance import public_phrase
from reminders.i18n.environments import environment
from reminders.i18n.languages import ENGLISH, LANGUAGES, TBD_LOCATION, Language, Locales
from reminders.i18n.phrasing import day_phrase, time_range_phrase, zone_phrase
from reminders.inputs.meetings import Meeting, Series, slug
from reminders.publish.feed import FeedOptions, shown
from reminders.publish.links import (
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
from reminders.publish.pieces import Pieces, piece_key

__all__ = ["MeetingView", "landing_page", "language_switch", "web_environment"]


def web_environment(
    templates: Sequence[Path], locales: Locales, language: Language = ENGLISH
) -> Environment:
    """A Jinja2 environment for the pages under each templates folder's ``web/``."""
    return environment([folder / "web" for folder in templates], locales, language, autoescape=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingView:
    """One meeting as a page shows it, in one language, with its links."""

    meeting: Meeting
    title: str
    day: str
    hours: str
    zone: str
    location: str
    access: list[str]
    notes: str | None
    ics_url: str
    google_url: str
    outlook_url: str
    map_url: str | None


# A page view is a pure function of its arguments, and most of a landing page's cost; a
# process that renders pages again and again (the daemon after each edit, the web
# application on each request) reuses the views of the meetings that did not change. The
# catalog is in the key (``gettext`` is its bound method), so a reloaded one is a miss.
@functools.lru_cache(maxsize=16_384)
def meeting_view(
    meeting: Meeting,
    options: FeedOptions,
    language: str = "en",
    gettext: Callable[[str], str] = str,
) -> MeetingView:
    """Prepare a meeting for a page."""
    details = shown(meeting, options, one_off=True).description  # the add links never update
    return MeetingView(
        meeting=meeting,
        title=meeting.access.text("title", language, meeting.title) or meeting.title,
        day=day_phrase(meeting.start, language),
        hours=time_range_phrase(meeting.start, meeting.end, language),
        zone=zone_phrase(meeting.start, language),
        location=meeting.location or gettext(TBD_LOCATION),
        access=meeting.access.lines(language, gettext),
        notes=meeting.access.text("notes", language, meeting.notes),
        ics_url=meeting_ics_url(options.base_url, meeting),
        google_url=google_event_url(meeting, details),
        outlook_url=outlook_event_url(meeting, details),
        map_url=map_url(meeting),
    )


def language_switch(
    usable: Sequence[str], href: Callable[[str], str]
) -> list[tuple[str, str, str]]:
    """Links to the same page in every usable language: (tag, native name, href)."""
    return [(tag, LANGUAGES.get(tag, tag), href(tag)) for tag in usable]


def landing_page(
    env: Environment,
    series: Series,
    options: FeedOptions,
    now: datetime,
    signup: Mapping[str, Any] | None = None,
    base_path: str = "",
    switch: Sequence[tuple[str, str, str]] = (),
    crowd: Mapping[str, int] | None = None,
    pieces: Pieces | None = None,
) -> str:
    """Render the landing page: the meetings ahead, the ways to subscribe, the past ones.

    Meetings that ended before ``now`` have their own section, without add
    links. The static ``index.html`` links to the sign-up page; the web
    application passes ``signup`` (a CSRF token, the languages) to show the form.
    ``crowd`` (given when ``[attendance] public`` is on) holds how many people
    each meeting expects; the page says it only as a range. With ``pieces``,
    articles kept by an earlier build are reused.
    """
    gettext: Callable[[str], str] = env.globals["translate"]  # type: ignore[assignment]
    url = feed_url(options.base_url)
    said = {}
    for meeting_id, count in (crowd or {}).items():
        if phrase := public_phrase(count):
            said[meeting_id] = gettext(phrase[0]) % {"count": phrase[1]}
    articles = _Articles(env, options, said, base_path, pieces)
    return env.get_template("index.html.j2").render(
        signup=signup,
        base_path=base_path,
        switch=list(switch),
        series=series,
        articles=[articles.of(m, past=False) for m in series if m.end > now],
        past_articles=[articles.of(m, past=True) for m in series if m.end <= now],
        feed_url=url,
        webcal_url=webcal_url(url),
        google_subscribe_url=google_subscribe_url(url),
        outlook_url=outlook_subscribe_url(url, series.name, "live"),
        office_url=outlook_subscribe_url(url, series.name, "office"),
        cities=[(city, city_feed_url(options.base_url, slug(city))) for city in series.cities],
    )


ARTICLE = "_meeting.html.j2"


class _Articles:
    """The meetings' articles of one page, each made by the template's macro or kept."""

    def __init__(
        self,
        env: Environment,
        options: FeedOptions,
        said: Mapping[str, str],
        base_path: str,
        pieces: Pieces | None,
    ) -> None:
        self.macro = env.get_template(ARTICLE).module.article  # type: ignore[attr-defined]
        self.language: Language = env.globals["language"]  # type: ignore[assignment]
        self.gettext: Callable[[str], str] = env.globals["translate"]  # type: ignore[assignment]
        self.options, self.said, self.base_path, self.pieces = options, said, base_path, pieces
        if pieces is not None:
            source = env.loader.get_source(env, ARTICLE)[0] if env.loader else ""
            page = (source, env.globals["catalog_digest"], self.language.tag, options, base_path)
            self.page = piece_key("page", *page)  # what every article of the page shares

    def of(self, meeting: Meeting, *, past: bool) -> Markup:
        """The meeting's article, as the page shows it now."""
        if self.pieces is None:
            return self._made(meeting, past)
        basis = (meeting, past, self.said.get(meeting.id))
        make = functools.partial(self._kept, meeting, past)
        key, article, data = self.pieces.articles.get(self.page + meeting.id, basis, make)
        self.pieces.use(key, data)  # so that it stays kept
        return article

    def _kept(self, meeting: Meeting, past: bool) -> tuple[str, Markup, bytes]:
        """The article's key, the article kept under it or made now, and its bytes."""
        assert self.pieces is not None
        key = piece_key("article", self.page, repr(meeting), past, self.said.get(meeting.id))
        made = self.pieces.get(key, lambda: self._made(meeting, past).encode("utf-8"))
        return key, Markup(made.decode("utf-8")), made  # the macro escaped it when it made it

    def _made(self, meeting: Meeting, past: bool) -> Markup:
        view = meeting_view(meeting, self.options, self.language.tag, self.gettext)
        made: Markup = self.macro(view, past, self.said.get(meeting.id), self.base_path)
        return made
