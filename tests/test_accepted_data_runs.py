"""What `reminders check` accepts, every command runs: build, plan, send, preview, a tick.

Hypothesis writes meetings files at the edges of what is valid (the first and
last years allowed, DST nights, odd zones, text with controls and bidi
overrides); each one the loader accepts must go through every command
without an exception.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reminders.cli import work
from reminders.daemon import Daemon
from reminders.errors import DataError
from reminders.inputs.meetings_file import FIRST_YEAR, LAST_YEAR, load_series
from tests.support.runs import settings_of

pytestmark = pytest.mark.slow

ZONES = ["America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "UTC", "Asia/Kathmandu"]
TEXT = st.text(
    alphabet=st.sampled_from(list('Ab é中ا\n\t\r\x00\x1b\u202e\u2066\u2028"\\')), max_size=20
)
DAYS = st.one_of(
    st.dates(min_value=date(FIRST_YEAR - 1, 12, 25), max_value=date(FIRST_YEAR, 1, 10)),
    st.dates(min_value=date(LAST_YEAR, 12, 20), max_value=date(LAST_YEAR + 1, 1, 5)),
    st.dates(min_value=date(2011, 3, 12), max_value=date(2011, 3, 14)),
    st.dates(min_value=date(2011, 11, 5), max_value=date(2011, 11, 7)),
)
HOURS = st.sampled_from(["00:00", "01:30", "02:30", "09:00", "23:30"])


def toml_text(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return (
        '"'
        + "".join(c if c.isprintable() or c == " " else f"\\u{ord(c):04x}" for c in escaped)
        + '"'
    )


@st.composite
def meetings_files(draw: st.DrawFn) -> str:
    zone = draw(st.sampled_from(ZONES))
    parts = [f'[calendar]\nname = "Fuzz"\ntimezone = "{zone}"\ndomain = "example.org"\n']
    for n in range(draw(st.integers(1, 3))):
        day = draw(DAYS)
        venue = draw(st.one_of(st.none(), TEXT))
        parts.append(
            f'[[meeting]]\nid = "m{n}"\ncity = "Worcester"\ndate = {day.isoformat()}\n'
            f'start = "{draw(HOURS)}"\nend = "23:59"\n'
            + (f"venue = {toml_text(venue)}\n" if venue is not None else "")
            + f"notes = {toml_text(draw(TEXT))}\ntitle = {toml_text(draw(TEXT))}\n"
            + f'timezone = "{draw(st.sampled_from(ZONES))}"\n'
        )
    return "\n".join(parts)


def workspace(meetings: str) -> Path:
    home = Path(tempfile.mkdtemp(prefix="accepted-"))
    (home / "meetings.toml").write_text(meetings, encoding="utf-8")
    (home / "subscribers.csv").write_text(
        "email,name,language,cities\nana@example.org,Ana \u202eX,es,\n", encoding="utf-8"
    )
    (home / "reminders.toml").write_text(
        'meetings = "meetings.toml"\nsubscribers = "subscribers.csv"\n'
        'base_url = "https://example.org/m/"\n[languages]\nallow_drafts = ["es"]\n',
        encoding="utf-8",
    )
    return home


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(meetings_files())
def test_what_check_accepts_every_command_runs(meetings: str) -> None:
    home = workspace(meetings)
    try:
        series = load_series(home / "meetings.toml")
    except DataError:
        return  # refused with located problems: nothing else has to run it
    config = settings_of(home)
    for meeting in series:
        for moment in (meeting.start - timedelta(days=3), meeting.start + timedelta(hours=1)):
            work.build(config, moment)
            work.plan(config, moment, 30)
            work.send(config, moment, dry_run=True)
            work.send(config, moment)
            work.preview(config, meeting.id, timedelta(days=3), None, None, moment)
            Daemon(config).tick(moment)
    work.status(config, datetime.now(UTC))
