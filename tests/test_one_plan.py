"""One plan, told the same way: what `plan` says is due now is what `send` sends, all season.

The whole 2011 season is replayed hour by hour, with the edits organizers
make along the way (a time changed after the reminder, venues announced in
time, late, and too late, a cancellation); at every hour `plan` runs first
and `send` after it, as an operator would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from reminders.cli import work
from tests.conftest import NEW_YORK, edit_meetings
from tests.support.runs import settings_of

pytestmark = pytest.mark.slow

START = datetime(2011, 2, 15, 0, tzinfo=NEW_YORK)
END = datetime(2011, 7, 10, 0, tzinfo=NEW_YORK)
LAWRENCE_TIME = 'date = 2011-04-02\nstart = "15:00"'
# (moment, old text, new text, what it is)
EDITS = [
    (
        datetime(2011, 3, 31, 12, tzinfo=NEW_YORK),
        LAWRENCE_TIME,
        'date = 2011-04-02\nstart = "15:30"',
        "a time changed after the reminder",
    ),
    (
        datetime(2011, 4, 15, 20, tzinfo=NEW_YORK),
        'date = 2011-04-16\nstart = "12:00"\nend = "14:00"\nvenue = "TBD"',
        'date = 2011-04-16\nstart = "12:00"\nend = "14:00"\nvenue = "Waltham City Hall"',
        "too late",
    ),
    (
        datetime(2011, 4, 20, 12, tzinfo=NEW_YORK),
        'venue = "TBD"',
        'venue = "Chelsea City Hall"',
        "in time",
    ),
    (
        datetime(2011, 5, 10, 10, tzinfo=NEW_YORK),
        'venue = "TBD"',
        'venue = "Brockton Library"',
        "late, but more than a day ahead",
    ),
    (
        datetime(2011, 5, 20, 12, tzinfo=NEW_YORK),
        'venue = "TBD"',
        'venue = "Lowell Hall"',
        "in time, later cancelled",
    ),
]


def due_now(report: str) -> int:
    """The people `plan` says are due now, summed over its rows."""
    total = 0
    for line in report.splitlines():
        if line.rstrip().endswith("due now"):
            total += int(line.split()[-4])
    return total


def test_plan_and_send_agree_at_every_hour_of_the_season(workspace: Path) -> None:
    settings = settings_of(workspace)
    edits = list(EDITS)
    moment, sent, kinds = START, 0, set()
    while moment <= END:
        while edits and edits[0][0] <= moment:
            _, old, new, _ = edits.pop(0)
            edit_meetings(workspace, old, new)
        if moment == datetime(2011, 5, 24, 12, tzinfo=NEW_YORK):
            edit_meetings(
                workspace, 'venue = "Lowell Hall"', 'venue = "Lowell Hall"\nstatus = "cancelled"'
            )
        planned = work.plan(settings, moment, 0)
        report = work.send(settings, moment)
        assert report.sent == due_now(planned), (moment, planned)
        sent += report.sent
        kinds |= {kind.family.value for _, kind in report.outcomes}
        moment += timedelta(hours=1)
    # The replay went through every kind of message, and the too-late venue got none.
    assert kinds == {"reminder", "venue", "change", "cancel"}
    assert sent > 0
    final = work.plan(settings, datetime(2011, 4, 15, 21, tzinfo=NEW_YORK), 1)
    assert (
        "2011-04-16-waltham: venue announced 2011-04-15 20:00 EDT, too late for the 3d "
        "reminder (less than 1 day ahead)"
    ) in final
