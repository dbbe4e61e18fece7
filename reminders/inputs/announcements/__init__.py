"""Reading the announcements organizers receive into a meetings file to review.

``when`` reads dates and times (English, Spanish, Portuguese), ``layouts``
finds the meetings whatever the layout, ``reader`` makes draft meetings of
them, ``calendar_file`` reads an .ics, and ``rendering`` writes the meetings
file with the lines each meeting came from and what to check.
"""

from __future__ import annotations

from reminders.inputs.announcements.calendar_file import read_calendar_file
from reminders.inputs.announcements.reader import Announcement, DraftMeeting, read_announcement
from reminders.inputs.announcements.rendering import render_meetings_file

__all__ = [
    "Announcement",
    "DraftMeeting",
    "read_announcement",
    "read_calendar_file",
    "render_meetings_file",
]
