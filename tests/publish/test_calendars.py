"""A feed made again from the one before is the feed made whole, whatever changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from reminders.inputs.meetings import Meeting
from reminders.inputs.meetings_file import load_series
from reminders.publish.calendars import Made, calendar_made
from reminders.publish.feed import FeedOptions
from reminders.publish.pieces import Pieces
from reminders.revisions import Revision
from tests.conftest import MEETINGS

SERIES = load_series(MEETINGS)
OPTIONS = FeedOptions(base_url="https://example.org/meetings/")
ZONES = [ZoneInfo(name) for name in ("America/New_York", "Europe/Lisbon")]


def _variant(meeting: Meeting, years: int, zone: ZoneInfo) -> Meeting:
    """The meeting some years later, at the same wall-clock times in ``zone``."""
    start, end = (
        moment.replace(year=moment.year + years, tzinfo=zone)
        for moment in (meeting.start, meeting.end)
    )
    return replace(meeting, start=start, end=end)


# Each meeting in a few versions and revisions, each version one object: an unchanged
# meeting is the very object of the feed before, as a daemon's reading gives it.
VERSIONS = [[_variant(m, years, zone) for years in (0, 1) for zone in ZONES] + [m] for m in SERIES]
REVISIONS = [
    [
        Revision(
            meeting_id=m.id,
            fingerprint="-",
            sequence=n,
            modified=datetime(2011, 2, n + 1, tzinfo=UTC),
        )
        for n in range(2)
    ]
    for m in SERIES
]
# A feed: which meetings, in which order, each in a version and at a revision.
FEEDS = st.lists(
    st.tuples(st.integers(0, len(SERIES) - 1), st.integers(0, 4), st.integers(0, 1)),
    unique_by=lambda item: item[0],
    max_size=len(SERIES),
)


def _made(
    feed: list[tuple[int, int, int]], before: Made | None, gettext: Callable[[str], str] = str
) -> Made:
    return calendar_made(
        SERIES,
        [VERSIONS[i][version] for i, version, _ in feed],
        [REVISIONS[i][sequence] for i, _, sequence in feed],
        OPTIONS,
        name="All",
        source="https://example.org/meetings/meetings.ics",
        language="en" if gettext is str else "x-shout",
        gettext=gettext,
        pieces=Pieces(),
        before=before,
    )


@given(first=FEEDS, then=FEEDS)
def test_a_feed_made_from_the_one_before_is_the_feed_made_whole(
    first: list[tuple[int, int, int]], then: list[tuple[int, int, int]]
) -> None:
    before = _made(first, None)
    assert _made(then, before).data == _made(then, None).data


def _shouted(text: str) -> str:
    return text.replace("Details and updates", "DETAILS AND UPDATES")


@given(feed=FEEDS)
def test_a_feed_in_another_language_takes_nothing_from_the_one_before(
    feed: list[tuple[int, int, int]],
) -> None:
    again = _made(feed, _made(feed, None), gettext=_shouted)
    assert again.data == _made(feed, None, gettext=_shouted).data
