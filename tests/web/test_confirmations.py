"""Confirmation emails: one refused address never blocks the others, and none is lost."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from reminders.cli import work
from reminders.web.app import Site, create_app
from tests.conftest import NEW_YORK, run_cli, set_setting
from tests.support.mailsink import SinkServer
from tests.support.runs import settings_of

START = datetime(2011, 2, 16, 10, tzinfo=NEW_YORK)
EVERYONE = [
    "one@example.org",
    "refused@example.org",
    "greylisted@example.org",
    "two@example.org",
    "three@example.org",
]


class Clock:
    """The application's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def app_for(home: Path, clock: Clock) -> Flask:
    work.build(settings_of(home), START)
    return create_app(settings_of(home), clock=clock, signups_per_client=100)


def sign_up(client: FlaskClient, email: str) -> None:
    page = client.get("/").text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    reply = client.post(
        "/subscribe",
        data={"csrf": found.group(1), "email": email, "language": "en", "cities": "Worcester"},
    )
    assert reply.status_code == 200
    assert "Check your email" in reply.text


def wait_until(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def received(smtp: SinkServer) -> set[str]:
    return {r for message in smtp.sink.received for r in message.recipients}


def test_a_refused_and_a_greylisted_address_do_not_stop_the_others(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    smtp.sink.faults.rcpt_replies["refused@example.org"] = "550 5.1.1 <refused@example.org>: no"
    smtp.sink.faults.rcpt_once["greylisted@example.org"] = "451 4.7.1 greylisted, come back"
    clock = Clock()
    app = app_for(mail_workspace, clock)
    client = app.test_client()
    for email in EVERYONE:
        sign_up(client, email)
    wait_until(
        lambda: received(smtp) == {"one@example.org", "two@example.org", "three@example.org"}
    )
    status = run_cli("status", cwd=mail_workspace)
    assert "Sign-up confirmations: 1 pending, 1 refused for good" in status.stdout
    # The greylisted one goes once its retry is due; the refused one is never tried again.
    clock.now += timedelta(minutes=2)
    site: Site = app.extensions["reminders"]
    site.mailer.wake()
    wait_until(lambda: "greylisted@example.org" in received(smtp))
    assert "refused@example.org" not in received(smtp)
    assert sorted(received(smtp)) == sorted(set(EVERYONE) - {"refused@example.org"})
    assert len(smtp.sink.received) == 4


def test_confirmations_wait_in_the_store_across_a_restart(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    config = mail_workspace / "reminders.toml"
    working = config.read_text()
    set_setting(mail_workspace, "")
    config.write_text(working.replace(smtp.url, "smtp://127.0.0.1:9?starttls=off"))
    clock = Clock()
    down = app_for(mail_workspace, clock)
    sign_up(down.test_client(), "patient@example.org")
    down_site: Site = down.extensions["reminders"]
    wait_until(down_site.mailer.idle.is_set)
    assert received(smtp) == set()
    # `serve` restarts with a mail server that answers: the confirmation still goes.
    config.write_text(working)
    clock.now += timedelta(minutes=5)
    app_for(mail_workspace, clock)
    wait_until(lambda: received(smtp) == {"patient@example.org"})
    [message] = smtp.sink.received
    body = message.message.get_body(("plain",))
    assert body is not None
    assert "/confirm?token=" in body.get_content()
