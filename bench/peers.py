"""What an organizer would use instead, doing the same work: the `ics` package, Django's mail.

Indico and pretix send through Django's mail classes: an ``EmailMultiAlternatives``
per person (text, HTML, the .ics attached) over one ``get_connection()``. The
peers get the letters already rendered, so they do less than the tool (no
templates, tokens, ledger): the ratios are on their side. Their packages are
in the ``bench`` extra only.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["command_time", "django_loop", "ics_feed"]


def ics_feed(series: Any) -> bytes:
    """The series' events as one calendar, with the `ics` package."""
    import ics

    calendar = ics.Calendar()
    for meeting in series:
        event = ics.Event(
            name=meeting.title,
            begin=meeting.start,
            end=meeting.end,
            uid=f"{meeting.id}@example.org",
            location=meeting.location,
            description=f"Details and updates: https://example.org/meetings/#{meeting.id}",
            url=f"https://example.org/meetings/#{meeting.id}",
        )
        event.status = "CONFIRMED"
        calendar.events.add(event)
    return calendar.serialize().encode("utf-8")


def django_loop(port: int, letters: list[tuple[str, Any]], calendar: bytes) -> float:
    """Seconds for Django to send each letter, with the .ics, over one connection."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, DEFAULT_CHARSET="utf-8")
    settings.EMAIL_PORT = port
    from django.core.mail import EmailMultiAlternatives, get_connection

    connection = get_connection()
    connection.open()
    start = time.perf_counter()
    for address, letter in letters:
        message = EmailMultiAlternatives(
            " ".join(letter.subject.split()),  # as the tool writes a subject
            letter.text,
            "Bench <reminders@example.org>",
            [address],
            connection=connection,
        )
        message.attach_alternative(letter.html, "text/html")
        message.attach("meeting.ics", calendar, "text/calendar; method=PUBLISH")
        message.send()
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def command_time(config: Path, at: str) -> float:
    """Wall time of a whole `reminders send` process on a fresh state, start to exit."""
    shutil.rmtree(config.parent / "var", ignore_errors=True)
    start = time.perf_counter()
    command = ["-m", "reminders", "--quiet", "--config", str(config), "send", "--now", at]
    subprocess.run(
        [sys.executable, *command],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start
