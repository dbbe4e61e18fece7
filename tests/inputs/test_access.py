"""Language-access fields: validated with lines, shown in the feed, the page and emails."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar import Calendar

from reminders.cli import work
from reminders.errors import DataError
from reminders.inputs.meetings_file import load_series
from reminders.settings import load_settings
from tests.conftest import edit_meetings
from tests.inputs.test_meetings import WORCESTER

WriteMeetings = Callable[..., Path]
ACCESS = """\
interpretation = ["es", "ht", "asl"]
childcare = true
wheelchair_access = false
transit = "Bus 7 to Salem Square"

[meeting.translations.es]
title = "Reunión comunitaria en Worcester"
transit = "Autobús 7 hasta Salem Square"
"""


def test_access_fields_are_read(meetings_file: WriteMeetings) -> None:
    meeting = load_series(meetings_file(WORCESTER + ACCESS)).meetings[0]
    assert meeting.access.interpretation == ("es", "ht", "ase")
    assert meeting.access.lines() == [
        "Interpretation: Spanish, Haitian Creole, American Sign Language",
        "Childcare provided",
        "Not wheelchair accessible",
        "Getting there: Bus 7 to Salem Square",
    ]


def test_translated_text_falls_back_from_region_to_language_to_default(
    meetings_file: WriteMeetings,
) -> None:
    access = load_series(meetings_file(WORCESTER + ACCESS)).meetings[0].access
    assert access.text("transit", "es-MX", "x") == "Autobús 7 hasta Salem Square"
    assert access.text("title", "es", "x") == "Reunión comunitaria en Worcester"
    assert access.text("notes", "es", "default") == "default"
    assert access.text("transit", "vi", "Bus 7") == "Bus 7"


def test_unknown_wheelchair_access_says_nothing(meetings_file: WriteMeetings) -> None:
    meeting = load_series(meetings_file(WORCESTER + 'wheelchair_access = "unknown"\n')).meetings[0]
    assert meeting.access.wheelchair is None
    assert meeting.access.lines() == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('interpretation = "es"\n', "interpretation must be a list"),
        ('interpretation = ["Spanish!"]\n', "'Spanish!' is not a language code"),
        ('childcare = "yes"\n', "childcare must be true or false"),
        ("wheelchair_access = 3\n", 'wheelchair_access must be true, false or "unknown"'),
        ("\n[meeting.translations.es]\nvenue = 'Biblioteca'\n", "unknown field 'venue'"),
        ("\n[meeting.translations.Spanish]\ntitle = 'x'\n", "'Spanish' is not a language code"),
    ],
)
def test_bad_access_fields_are_named_with_their_line(
    meetings_file: WriteMeetings, text: str, message: str
) -> None:
    path = meetings_file(WORCESTER + text)
    with pytest.raises(DataError) as caught:
        load_series(path)
    [problem] = caught.value.problems
    assert message in problem.message
    assert problem.message.startswith("meeting '2011-02-26-worcester': ")
    assert problem.line is not None
    assert problem.line >= 6


def test_access_shows_in_the_feed_and_on_the_page(workspace: Path) -> None:
    edit_meetings(
        workspace,
        'venue = "Worcester Public Library"',
        'venue = "Worcester Public Library"\ninterpretation = ["es", "asl"]\nchildcare = true',
    )
    settings = load_settings(workspace / "reminders.toml", workspace)
    work.build(settings, datetime(2011, 2, 15, tzinfo=UTC))
    cal = Calendar.from_ical((settings.public / "meetings.ics").read_bytes())
    worcester = next(e for e in cal.walk("VEVENT") if "worcester" in str(e["UID"]))
    description = str(worcester["DESCRIPTION"])
    assert "Interpretation: Spanish, American Sign Language" in description
    assert "Childcare provided" in description
    page = (settings.public / "index.html").read_text()
    assert "<li>Interpretation: Spanish, American Sign Language</li>" in page


def test_access_shows_in_the_reminder_email() -> None:
    from dataclasses import replace

    from reminders.inputs.access import Access
    from tests.mail.test_compose import WORCESTER as MEETING
    from tests.mail.test_compose import make

    meeting = replace(MEETING, access=Access(interpretation=("ht",), wheelchair=True))
    message, _ = make(meeting=meeting)
    for kind in ("plain", "html"):
        body = message.get_body((kind,))
        assert body is not None
        assert "Interpretation: Haitian Creole" in body.get_content()
        assert "Wheelchair accessible" in body.get_content()
