"""Signing up and leaving over real HTTP: double opt-in, tokens, privacy, abuse."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

import pytest

from reminders.tokens import Secret, read_token, sign
from tests.conftest import WebApp, edit_meetings, run_cli
from tests.support.mailsink import Received, free_port
from tests.support.webclient import Browserless, Reply

NEWCOMER = "newcomer@example.net"


def client(app: WebApp) -> Browserless:
    return Browserless("127.0.0.1", app.port)


def sign_up(app: WebApp, email: str, cities: list[str] | None = None) -> Reply:
    browser = client(app)
    token = browser.get("/").form_token()
    form = {
        "csrf": token,
        "email": email,
        "name": "New Comer",
        "language": "es",
        "cities": cities or ["Worcester"],
    }
    return browser.post("/subscribe", dict(form))


def wait_for_mail(app: WebApp, address: str, count: int = 1) -> list[Received]:
    deadline = time.monotonic() + 15
    while len(app.smtp.sink.to(address)) < count:
        assert time.monotonic() < deadline, "no email came"
        time.sleep(0.05)
    return app.smtp.sink.to(address)


def link_in(message: Received, path: str) -> str:
    text = message.message.get_body(("plain",))
    assert text is not None
    match = re.search(rf"(http://127\.0\.0\.1:\d+/{path}\?token=\S+)", text.get_content())
    assert match, text.get_content()
    return match.group(1)


def confirm(app: WebApp, link: str) -> Reply:
    browser = client(app)
    assert browser.get(link).status == 200
    return browser.post(link)


def remind_worcester(app: WebApp) -> None:
    result = run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=app.home)
    assert result.returncode == 0, result.stderr


def test_double_opt_in_then_reminder(web_app: WebApp) -> None:
    reply = sign_up(web_app, NEWCOMER)
    assert reply.status == 200
    assert "Check your email" in reply.body
    [confirmation] = wait_for_mail(web_app, NEWCOMER)
    # The form asked for Spanish, which this site allows as a draft.
    assert confirmation.message["Subject"].startswith("Confirme: recordatorios de")
    assert confirmation.message["Content-Language"] == "es"
    assert "List-Unsubscribe" not in confirmation.message
    remind_worcester(web_app)
    assert len(web_app.smtp.sink.to(NEWCOMER)) == 1  # not on the list before confirming
    done = confirm(web_app, link_in(confirmation, "confirm"))
    assert "You are signed up" in done.body
    again = confirm(web_app, link_in(confirmation, "confirm"))
    assert again.status == 200
    assert "You are already signed up" in again.body
    edit_meetings(web_app.home, 'end = "16:00"', 'end = "16:00"\nnotes = "Bring a friend"')
    remind_worcester(web_app)
    [_, reminder] = web_app.smtp.sink.to(NEWCOMER)
    # Signed up in Spanish, which this site allows as a draft: the reminder is in Spanish.
    assert reminder.message["Subject"].startswith("Recordatorio: reunión de Worcester")
    assert reminder.message["Content-Language"] == "es"
    edit_meetings(web_app.home, 'start = "14:00"\nend = "16:00"', 'start = "15:00"\nend = "17:00"')
    run_cli("send", "--now", "2011-02-24T09:05-05:00", cwd=web_app.home)
    [*_, notice] = web_app.smtp.sink.to(NEWCOMER)
    assert notice.message["Subject"].startswith("Cambio: reunión de Worcester")


@pytest.mark.parametrize("email", ["0@[", "a@[127.0.0.1", "a@example.org\r\nBcc: b@example.org"])
def test_an_address_that_is_not_one_gets_the_form_again_with_a_message(
    web_app: WebApp, email: str
) -> None:
    reply = sign_up(web_app, email)
    assert reply.status == 400
    assert "Please enter a valid email address." in reply.body


def test_the_same_reply_for_a_known_and_an_unknown_address(web_app: WebApp) -> None:
    known = sign_up(web_app, "ana@example.org")
    unknown = sign_up(web_app, "nobody.yet@example.net")
    assert (known.status, known.body) == (unknown.status, unknown.body)
    assert set(known.headers) == set(unknown.headers)


def test_one_click_unsubscribe_works_without_cookies_or_javascript(web_app: WebApp) -> None:
    remind_worcester(web_app)
    [reminder] = web_app.smtp.sink.to("ana@example.org")
    header = reminder.message["List-Unsubscribe"]
    https = re.search(r"<(http://[^>]+)>", header)
    assert https
    reply = client(web_app).post(https.group(1), body="List-Unsubscribe=One-Click", cookies=False)
    assert reply.status == 200
    assert "no more emails" in reply.body
    edit_meetings(web_app.home, 'start = "14:00"\nend = "16:00"', 'start = "15:00"\nend = "17:00"')
    result = run_cli("send", "--now", "2011-02-24T09:05-05:00", cwd=web_app.home)
    assert result.returncode == 0
    assert len(web_app.smtp.sink.to("ana@example.org")) == 1  # no change notice either
    assert len(web_app.smtp.sink.to("sam@example.org")) == 2


def test_unsubscribe_page_asks_before_acting(web_app: WebApp) -> None:
    remind_worcester(web_app)
    link = link_in(web_app.smtp.sink.to("sam@example.org")[0], "unsubscribe")
    page = client(web_app).get(link)
    assert page.status == 200
    assert "Stop all emails" in page.body
    status = run_cli("status", cwd=web_app.home)
    assert "2011-02-26-worcester    4     0       0         0        0" in status.stdout


@pytest.mark.parametrize("damage", ["forged", "altered", "other purpose", "expired", "empty"])
def test_bad_token_gets_a_plain_page_and_changes_nothing(web_app: WebApp, damage: str) -> None:
    remind_worcester(web_app)
    link = link_in(web_app.smtp.sink.to("sam@example.org")[0], "unsubscribe")
    token = unquote(urlsplit(link).query.removeprefix("token="))
    payload, signature = token.split(".")
    secret = Secret(((web_app.home / "var" / "secret").read_bytes(),))
    ident = read_token(secret, token, "unsubscribe", datetime.now(UTC))
    bad = {
        "forged": f"{payload}.{'A' * len(signature)}",
        "altered": f"{payload[:-1]}{'B' if payload[-1] != 'B' else 'C'}.{signature}",
        "other purpose": sign(secret, ident, "preferences"),
        "expired": sign(secret, ident, "unsubscribe", datetime.now(UTC) - timedelta(hours=1)),
        "empty": "",
    }[damage]
    reply = client(web_app).post(f"/unsubscribe?token={bad}", body="List-Unsubscribe=One-Click")
    assert reply.status == 400
    assert "This link does not work" in reply.body
    assert "<script" not in reply.body
    edit_meetings(web_app.home, 'start = "14:00"\nend = "16:00"', 'start = "15:00"\nend = "17:00"')
    run_cli("send", "--now", "2011-02-24T09:05-05:00", cwd=web_app.home)
    assert len(web_app.smtp.sink.to("sam@example.org")) == 2  # still on the list


def test_expired_confirmation_link_is_refused(web_app: WebApp) -> None:
    sign_up(web_app, NEWCOMER)
    [confirmation] = wait_for_mail(web_app, NEWCOMER)
    token = unquote(urlsplit(link_in(confirmation, "confirm")).query.removeprefix("token="))
    secret = Secret(((web_app.home / "var" / "secret").read_bytes(),))
    ident = read_token(secret, token, "confirm", datetime.now(UTC))
    old = sign(secret, ident, "confirm", datetime.now(UTC) - timedelta(seconds=1))
    assert client(web_app).post(f"/confirm?token={old}").status == 400
    remind_worcester(web_app)
    assert len(web_app.smtp.sink.to(NEWCOMER)) == 1


def test_form_without_csrf_token_is_refused(web_app: WebApp) -> None:
    browser = client(web_app)
    browser.get("/")
    reply = browser.post("/subscribe", {"email": NEWCOMER, "language": "en", "csrf": "x"})
    assert reply.status == 403
    time.sleep(0.5)
    assert web_app.smtp.sink.to(NEWCOMER) == []


def test_sign_ups_are_rate_limited_per_client(web_app: WebApp) -> None:
    replies = [sign_up(web_app, f"flood{n}@example.net").status for n in range(7)]
    assert replies[:5] == [200] * 5
    assert replies[5:] == [429, 429]


@contextmanager
def serving_at(app: WebApp, now: str) -> Iterator[Browserless]:
    """A second `reminders serve` on the same data whose pages see the moment ``now``."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "serve", "--port", str(port), "--now", now],
        cwd=app.home,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for _ in range(2):
        if process.stderr.readline().startswith("serving"):
            break
    try:
        yield Browserless("127.0.0.1", port)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_preferences_link_expires_after_30_days(web_app: WebApp) -> None:
    remind_worcester(web_app)  # sent 2011-02-23
    link = link_in(web_app.smtp.sink.to("sam@example.org")[0], "preferences")
    path = link.split("/", 3)[3]
    with serving_at(web_app, "2011-03-20T12:00-04:00") as browser:
        assert browser.get("/" + path).status == 200
    with serving_at(web_app, "2011-03-26T12:00-04:00") as browser:
        late = browser.get("/" + path)
    assert late.status == 400
    assert "This link does not work" in late.body


def test_preferences_change_language_and_cities(web_app: WebApp) -> None:
    remind_worcester(web_app)
    link = link_in(web_app.smtp.sink.to("sam@example.org")[0], "preferences")
    path = "/" + link.split("/", 3)[3]
    with serving_at(web_app, "2011-02-24T12:00-05:00") as browser:
        page = browser.get(path)
        assert page.status == 200
        reply = browser.post(
            path,
            {"csrf": page.form_token(), "language": "es", "cities": ["Lawrence"], "action": "save"},
        )
    assert reply.status == 200
    assert "saved" in reply.body
    run_cli("send", "--now", "2011-03-09T09:05-05:00", cwd=web_app.home)  # Framingham
    run_cli("send", "--now", "2011-03-30T09:05-04:00", cwd=web_app.home)  # Lawrence
    subjects = [m.message["Subject"] for m in web_app.smtp.sink.to("sam@example.org")]
    # Framingham is no longer wanted; Lawrence comes in the newly chosen Spanish.
    assert len(subjects) == 2
    assert subjects[0].startswith("Reminder: Worcester")
    assert subjects[1].startswith("Recordatorio: reunión de Lawrence")


def test_pages_load_nothing_from_elsewhere(web_app: WebApp) -> None:
    for path in ("/", "/subscribe", "/index.html"):
        reply = client(web_app).get(path)
        assert reply.status == 200
        assert "default-src 'none'" in reply.headers["content-security-policy"]
        assert not re.search(
            r'(src|href)="https?://(?!127\.0\.0\.1)[^"]*\.(js|css|woff2?)', reply.body
        )
        assert "<script" not in reply.body


# Behind a proxy, the limit is per real client: tests/web/test_nginx.py, through nginx.
