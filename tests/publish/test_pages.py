"""The landing page: every field escaped, every link the right URL."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from reminders.cli import work
from reminders.settings import load_settings
from tests.conftest import edit_meetings

HOSTILE = '<script>alert(\\"x\\")</script> & \'Friends\' \\"Hall\\"'


class Page(HTMLParser):
    """Collects links, script elements and the text of each meeting article."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self.scripts = 0
        self.text: list[str] = []
        self._href: str | None = None
        self.ids: list[str] = []
        self.landmarks: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.scripts += tag == "script"
        if tag in ("header", "main", "footer", "h1"):
            self.landmarks.add(tag)
        if tag == "a":
            self._href = values.get("href")
        if tag == "article" and values.get("id"):
            self.ids.append(str(values["id"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._href is not None and data.strip():
            self.links.setdefault(data.strip(), self._href)


def render(workspace: Path) -> tuple[str, Page]:
    settings = load_settings(workspace / "reminders.toml", workspace)
    work.build(settings, datetime(2011, 2, 15, tzinfo=UTC))
    html = (settings.public / "index.html").read_text(encoding="utf-8")
    page = Page()
    page.feed(html)
    return html, page


def test_hostile_title_and_venue_are_escaped(workspace: Path) -> None:
    edit_meetings(
        workspace, 'venue = "Worcester Public Library"', f'venue = "{HOSTILE}"\ntitle = "{HOSTILE}"'
    )
    html, page = render(workspace)
    assert "<script>" not in html
    assert page.scripts == 0
    assert "&lt;script&gt;" in html
    assert "&amp; &#39;Friends&#39; &#34;Hall&#34;" in html
    # The reader sees the text exactly as written.
    assert '<script>alert("x")</script> & \'Friends\' "Hall"' in "".join(page.text)


def test_meetings_listed_by_date_with_tbd_said_plainly(workspace: Path) -> None:
    html, page = render(workspace)
    assert page.ids[0] == "2011-02-26-worcester"
    assert page.ids == sorted(page.ids)
    assert len(page.ids) == 10
    assert html.count("Location to be announced") == 7
    assert "Saturday, February 26, 2011" in html
    assert "Eastern Time" in html
    assert {"header", "main", "footer", "h1"} <= page.landmarks


def test_subscribe_links_are_the_right_urls(workspace: Path) -> None:
    _, page = render(workspace)
    feed = "https://example.org/meetings/meetings.ics"
    assert page.links["Apple Calendar or Outlook on your computer"] == (
        "webcal://example.org/meetings/meetings.ics"
    )
    google = urlsplit(page.links["Google Calendar"])
    assert (google.scheme, google.netloc, google.path) == (
        "https",
        "calendar.google.com",
        "/calendar/r",
    )
    assert parse_qs(google.query) == {"cid": ["webcal://example.org/meetings/meetings.ics"]}
    for label, host in (
        ("Outlook.com", "outlook.live.com"),
        ("Microsoft 365", "outlook.office.com"),
    ):
        link = urlsplit(page.links[label])
        assert (link.netloc, link.path) == (host, "/calendar/0/addfromweb")
        assert parse_qs(link.query)["url"] == [feed]


def test_per_meeting_links_are_the_right_urls(workspace: Path) -> None:
    _, page = render(workspace)
    google = urlsplit(page.links["Add to Google Calendar"])
    query = parse_qs(google.query)
    assert google.netloc == "calendar.google.com"
    assert query["action"] == ["TEMPLATE"]
    assert query["dates"] == ["20110226T190000Z/20110226T210000Z"]
    assert query["ctz"] == ["America/New_York"]
    assert query["location"] == ["Worcester Public Library, 3 Salem Square, Worcester"]
    outlook = parse_qs(urlsplit(page.links["Add to Outlook"]).query)
    assert outlook["startdt"] == ["2011-02-26T14:00:00-05:00"]
    assert outlook["rru"] == ["addevent"]
    assert page.links["Download the event (.ics)"] == (
        "https://example.org/meetings/meetings/2011-02-26-worcester.ics"
    )
    osm = urlsplit(page.links["Map of Worcester Public Library"])
    assert osm.netloc == "www.openstreetmap.org"
    assert parse_qs(osm.query)["query"] == ["3 Salem Square, Worcester"]


def test_a_map_search_names_the_city_when_the_address_does_not() -> None:
    from dataclasses import replace

    from reminders.inputs.meetings_file import load_series
    from reminders.publish.links import map_url
    from tests.conftest import MEETINGS

    worcester = load_series(MEETINGS).meetings[0]
    bare = replace(worcester, address="3 Salem Square")
    assert parse_qs(urlsplit(map_url(bare) or "").query)["query"] == ["3 Salem Square, Worcester"]
    full = parse_qs(urlsplit(map_url(worcester) or "").query)["query"]
    assert full == ["3 Salem Square, Worcester"]  # named once, not twice


def test_one_off_add_links_of_a_tbd_meeting_do_not_promise_updates() -> None:
    from reminders.inputs.meetings_file import load_series
    from reminders.publish.feed import FeedOptions, shown
    from reminders.publish.links import google_event_url
    from tests.conftest import MEETINGS

    waltham = load_series(MEETINGS).get("2011-04-16-waltham")
    assert waltham is not None
    options = FeedOptions(base_url="https://example.org/m/")
    link = google_event_url(waltham, shown(waltham, options, one_off=True).description)
    details = parse_qs(urlsplit(link).query)["details"][0]
    assert "announced by email and in the calendar feed" in details
    assert "this entry updates" not in details
    # The feed's own copy does update, and says so.
    assert "this entry updates when it is" in shown(waltham, options).description
