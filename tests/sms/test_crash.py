"""A daemon killed in the middle of a batch of texts loses none and repeats at most one."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reminders.store import consent, open_state
from tests.support.twilioserver import TwilioServer
from tests.test_daemon import CALENDAR, Daemon, meeting, wait_for

AREAS = ("201", "212", "312", "415", "617")
NUMBERS = {f"+1{area}555{n:04d}" for area in AREAS for n in range(100, 200)}


@pytest.fixture
def home(tmp_path: Path, provider: TwilioServer) -> Path:
    """500 people reached by text only, all of whom said YES; no quiet hours."""
    (tmp_path / "reminders.toml").write_text(
        'subscribers = "subscribers.csv"\nmeetings = "meetings.toml"\n'
        '[reminders]\noffsets = ["2 hours"]\n'
        f'[sms]\nprovider = "twilio"\nfrom = "+16175550199"\napi_url = "{provider.url}"\n'
        'max_per_second = 1000\nquiet_start = "00:00"\nquiet_end = "00:00"\n'
    )
    rows = "".join(f",,en,,{number},sms,2011-01-01\n" for number in sorted(NUMBERS))
    (tmp_path / "subscribers.csv").write_text(
        "email,name,language,cities,phone,channels,sms_consent\n" + rows
    )
    (tmp_path / "meetings.toml").write_text(
        CALENDAR + meeting("big", "Lowell", timedelta(minutes=5))
    )
    now = datetime.now(UTC)
    with open_state(tmp_path / "var" / "state.db") as db:
        for number in NUMBERS:
            consent.claim_question(db, f"sms:{number}", "list, agreed 2011-01-01", now)
            consent.question_sent(db, f"sms:{number}")
            consent.give(db, f"sms:{number}", now, "replied YES")
    return tmp_path


@pytest.fixture
def start_daemon(home: Path) -> Iterator[Callable[[], Daemon]]:
    started: list[Daemon] = []

    def start() -> Daemon:
        started.append(Daemon(home))
        return started[-1]

    yield start
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.stop(signal.SIGKILL)


def test_sigkill_mid_batch_of_texts_loses_nothing_and_repeats_at_most_one(
    provider: TwilioServer, start_daemon: Callable[[], Daemon]
) -> None:
    texts = provider.provider.texts
    provider.provider.delay = 0.01
    first = start_daemon()
    wait_for(lambda: len(texts) >= 150)
    first.stop(signal.SIGKILL)
    killed_at = len(texts)
    assert killed_at < len(NUMBERS)
    provider.provider.delay = 0.0
    second = start_daemon()
    wait_for(lambda: {text.to for text in texts} == NUMBERS, timeout=60)
    assert second.stop() == 0
    assert len(texts) <= len(NUMBERS) + 1
    assert "+1617555" not in second.text()  # numbers are masked in the daemon's log
