"""Choosing texts on the web: the number on the form, confirmed by email, then by YES."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import WebApp, run_cli, serving, set_setting
from tests.support.mailsink import SinkServer
from tests.web.test_signup import client, confirm, link_in, serving_at, wait_for_mail

NEWCOMER = "newcomer@example.net"
NUMBER = "+15085550123"


@pytest.fixture
def texting_app(mail_workspace: Path, smtp: SinkServer) -> Iterator[WebApp]:
    """The web application of a series that also texts, writing texts to ``texts/``."""
    set_setting(mail_workspace, '[sms]\ntransport = "file:texts"')
    with serving(mail_workspace, smtp) as app:
        yield app


def texts_to(app: WebApp, number: str) -> list[str]:
    folder = app.home / "texts"
    records = [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
    return [record["body"] for record in records if record["to"] == number]


def sign_up(app: WebApp, channels: str, phone: str) -> str:
    """Send the form; return the page's text."""
    browser = client(app)
    form: dict[str, object] = {
        "csrf": browser.get("/").form_token(),
        "email": NEWCOMER,
        "language": "en",
        "cities": ["Worcester"],
        "channels": channels,
        "phone": phone,
    }
    return browser.post("/subscribe", form).body


def send(app: WebApp, now: str) -> None:
    result = run_cli("send", "--now", now, cwd=app.home)
    assert result.returncode == 0, result.stderr


def test_the_form_offers_the_number_and_the_choice(texting_app: WebApp) -> None:
    page = client(texting_app).get("/").body
    assert 'name="phone" type="tel"' in page
    assert 'value="email;sms"' in page
    assert "reply STOP to stop" in page.replace("Reply", "reply")


def test_texts_start_after_the_email_confirmation_and_a_yes(texting_app: WebApp) -> None:
    assert "Check your email" in sign_up(texting_app, "email;sms", "(508) 555-0123")
    [confirmation] = wait_for_mail(texting_app, NEWCOMER)
    send(texting_app, "2011-02-23T09:05-05:00")
    assert texts_to(texting_app, NUMBER) == []  # not on the list before the email's link

    assert "You are signed up" in confirm(texting_app, link_in(confirmation, "confirm")).body
    send(texting_app, "2011-02-23T09:10-05:00")
    [question] = texts_to(texting_app, NUMBER)
    assert "Reply YES" in question  # the question, and nothing else before the answer
    assert len(texting_app.smtp.sink.to(NEWCOMER)) == 2  # the email reminder went at once

    assert run_cli("reply", "508 555 0123", "yes", cwd=texting_app.home).returncode == 0
    send(texting_app, "2011-02-23T09:20-05:00")
    [_, reminder] = texts_to(texting_app, NUMBER)
    assert reminder.startswith("Reminder: Worcester meeting Sat, Feb 26")
    send(texting_app, "2011-02-23T09:30-05:00")
    assert len(texts_to(texting_app, NUMBER)) == 2  # exactly once


def test_texts_need_a_mobile_number(texting_app: WebApp) -> None:
    page = sign_up(texting_app, "sms", "617-555-01")
    assert "Please enter a mobile phone number for text messages" in page
    assert texting_app.smtp.sink.to(NEWCOMER) == []


def test_preferences_show_the_number_masked_and_can_stop_texts(texting_app: WebApp) -> None:
    sign_up(texting_app, "email;sms", "508-555-0123")
    [confirmation] = wait_for_mail(texting_app, NEWCOMER)
    confirm(texting_app, link_in(confirmation, "confirm"))
    send(texting_app, "2011-02-23T09:10-05:00")
    [_, reminder] = texting_app.smtp.sink.to(NEWCOMER)
    path = "/" + link_in(reminder, "preferences").split("/", 3)[3]
    with serving_at(texting_app, "2011-02-23T09:15-05:00") as browser:
        page = browser.get(path)
        assert "+1 ••• ••• 0123" in page.body
        assert "5085550123" not in page.body
        assert "555-0123" not in page.body
        form: dict[str, object] = {
            "csrf": page.form_token(),
            "action": "save",
            "language": "en",
            "cities": ["Worcester"],
            "channels": "email",
            "phone": "",
        }
        assert "Your choices are saved" in browser.post(path, form).body
    run_cli("reply", NUMBER, "YES", cwd=texting_app.home)
    send(texting_app, "2011-02-23T09:20-05:00")
    assert len(texts_to(texting_app, NUMBER)) == 1  # the question only, before the change
