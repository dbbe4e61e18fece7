"""Writing what an announcement yielded as a meetings file an organizer reviews.

Every meeting says which lines of the source it came from; whatever the
reader was unsure of is marked ``# check:``, so a review knows where to look.
"""

from __future__ import annotations

import json

from reminders.inputs.announcements.reader import Announcement, DraftMeeting
from reminders.inputs.text import one_line

__all__ = ["PLACEHOLDER_NAME", "render_meetings_file"]

PLACEHOLDER_NAME = "Meetings (edit this name)"


def render_meetings_file(
    announcement: Announcement,
    timezone: str,
    domain: str,
    source: str,
    name: str | None = None,
) -> str:
    """Write an announcement's meetings as a ``meetings.toml`` text.

    The calendar's name is ``name``, else the announcement's headline, else a
    placeholder that says to edit it.
    """
    title = one_line(name or announcement.headline).rstrip(".") or PLACEHOLDER_NAME
    out = [
        f"# Imported from {source} by `reminders import`; review before use.",
        "",
        "[calendar]",
        f"name = {_string(title)}",
        f"timezone = {_string(timezone)}",
        f"domain = {_string(domain)}",
    ]
    if title == PLACEHOLDER_NAME:
        out.insert(3, "# check: the announcement has no headline; name the series")
    for meeting in announcement.meetings:
        out += ["", *_meeting(meeting, timezone)]
    return "\n".join(out) + "\n"


def _meeting(meeting: DraftMeeting, timezone: str) -> list[str]:
    first, last = meeting.lines
    lines = [
        "[[meeting]]",
        f"# From line {first}" if first == last else f"# From lines {first}-{last}",
    ]
    if meeting.new_info:
        lines.append(f"# Marked NEW INFO in the announcement (line {first}).")
    lines += [f"# check: {note}" for note in meeting.unsure]
    lines += [
        f"id = {_string(meeting.id)}",
        f"city = {_string(meeting.city)}",
        f"date = {meeting.date.isoformat()}",
        f"start = {_string(f'{meeting.start:%H:%M}')}",
        f"end = {_string(f'{meeting.end:%H:%M}')}",
        f"venue = {_string(meeting.venue or 'TBD')}",
    ]
    lines += [
        f"{key} = {_string(value)}"
        for key, value in (("room", meeting.room), ("address", meeting.address))
        if value
    ]
    if meeting.timezone and meeting.timezone != timezone:
        lines.append(f"timezone = {_string(meeting.timezone)}")
    if meeting.cancelled:
        lines.append('status = "cancelled"')
    return lines


def _string(value: str) -> str:
    # A JSON string is a TOML basic string too, once DEL (legal raw in JSON only) is escaped.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
