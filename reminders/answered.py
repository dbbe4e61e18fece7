"""What answers change in a run: "I can't come" ends reminders, "I'll come" adds one.

The pure rules are in :mod:`reminders.attendance`; here the executor asks the
store which answers a run's windows must honour.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reminders.attendance import Reply, answering
from reminders.inputs.meetings import Series
from reminders.inputs.subscribers import Subscriber
from reminders.plan import Schedule, Window, open_windows
from reminders.settings import Settings
from reminders.store import attendance
from reminders.store.base import Database
from reminders.store.secret import load_secret

__all__ = ["answers_heard", "coming_windows"]


def coming_windows(series: Series, settings: Settings, now: datetime) -> list[Window]:
    """The day-of windows open now, whose reminder goes only to people coming."""
    if settings.attendance.day_of is None:
        return []
    day_of = Schedule(offsets=(settings.attendance.day_of,), send_time=settings.reminders.send_time)
    return open_windows(series, day_of, now)


def answers_heard(
    db: Database,
    windows: Sequence[Window],
    extra: Sequence[Window],
    people: Sequence[Subscriber],
    finished: dict[tuple[str, str], set[str]],
) -> dict[Window, list[Subscriber]]:
    """Honour the answers: "no" ends a meeting's reminders; day-of ones go to "yes" only.

    Marks the people who declined as done with each reminder window (notices
    still reach them: a new time may change their answer), and returns the
    audience of each day-of window.
    """
    declined = attendance.responders(db, {w.meeting.id for w in windows}, Reply.NO)
    coming = attendance.responders(db, {w.meeting.id for w in extra}, Reply.YES)
    if not declined and not coming:
        return {w: [] for w in extra}
    keys = load_secret(db).keys
    for window in windows:
        if window.meeting.id in declined:
            done = finished.setdefault((window.meeting.id, window.kind), set())
            done.update(answering(people, window.meeting.id, declined[window.meeting.id], keys))
    audiences = {}
    for window in extra:
        yes = answering(people, window.meeting.id, coming.get(window.meeting.id, set()), keys)
        audiences[window] = [p for p in people if p.key in yes]
    return audiences
