"""The forms' guards: server-issued CSRF tokens bound to one form, origins, names, cookies."""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from reminders.cli import work
from reminders.web.app import create_app
from tests.conftest import NEW_YORK, set_setting
from tests.support.runs import settings_of

NOW = datetime(2011, 2, 16, 10, tzinfo=NEW_YORK)


def app_client(home: Path, base_url: str = "http://127.0.0.1:8000/") -> FlaskClient:
    config = home / "reminders.toml"
    config.write_text(config.read_text().replace("https://example.org/meetings/", base_url))
    set_setting(home, '[mail]\ntransport = "maildir:var/outbox"')
    work.build(settings_of(home), NOW)
    return create_app(settings_of(home), clock=lambda: NOW, signups_per_client=100).test_client()


def token_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def sign_up(client: FlaskClient, token: str, **extra: str) -> tuple[int, str]:
    form = {"csrf": token, "email": "new@example.org", "language": "en", **extra}
    headers = {"Origin": extra.pop("origin")} if "origin" in extra else {}
    form.pop("origin", None)
    reply = client.post("/subscribe", data=form, headers=headers)
    return reply.status_code, reply.text


def test_a_fresh_token_from_the_server_passes(workspace: Path) -> None:
    client = app_client(workspace)
    status, text = sign_up(client, token_of(client.get("/subscribe").text))
    assert status == 200
    assert "Check your email" in text


def test_a_cookie_fixed_by_someone_else_does_not_carry_their_token(workspace: Path) -> None:
    # An attacker who can plant a cookie value in a victim's browser fetches the form
    # with that same value and hands the victim the token: it must not pass.
    attacker = app_client(workspace)
    attacker.set_cookie("csrf", "planted-value")
    token = token_of(attacker.get("/subscribe").text)
    victim = attacker.application.test_client()
    victim.set_cookie("csrf", "planted-value")
    assert sign_up(victim, token)[0] == 403


def test_a_token_for_another_form_is_refused(workspace: Path) -> None:
    client = app_client(workspace)
    assert client.get("/subscribe").status_code == 200
    csrf = client.application.extensions["reminders"].csrf
    cookie = client.get_cookie("csrf")
    assert cookie is not None
    nonce = csrf.cookies.loads(cookie.value)
    # The server's own token, for the same cookie, but made for the preferences form.
    assert sign_up(client, csrf.tokens.dumps([nonce, "preferences"]))[0] == 403
    assert sign_up(client, csrf.tokens.dumps([nonce, "signup"]))[0] == 200


def test_a_token_goes_stale_after_a_few_hours(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app_client(workspace)
    token = token_of(client.get("/subscribe").text)
    later = time.time() + 5 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert sign_up(client, token)[0] == 403


def test_a_post_from_another_site_is_refused(workspace: Path) -> None:
    client = app_client(workspace)
    token = token_of(client.get("/subscribe").text)
    assert sign_up(client, token, origin="https://elsewhere.example.com")[0] == 403
    assert sign_up(client, token, origin="null")[0] == 403
    assert sign_up(client, token, origin="http://127.0.0.1:8000")[0] == 200


@pytest.mark.parametrize(
    "name",
    ["Visit https://bad.example.com", "Ana \u202emoc.elpmaxe", "Win 1000 dollars", "x" * 61],
)
def test_a_name_is_letters_not_links_or_tricks(workspace: Path, name: str) -> None:
    client = app_client(workspace)
    status, text = sign_up(client, token_of(client.get("/subscribe").text), name=name)
    assert status == 400
    assert "letters only" in text
    assert not (workspace / "var" / "outbox").exists()


def test_names_people_really_have_pass(workspace: Path) -> None:
    client = app_client(workspace)
    for name in ("María José Pérez-Núñez", "N'Golo O’Brien (Jr.)", "阮氏明", "محمد"):
        assert sign_up(client, token_of(client.get("/subscribe").text), name=name)[0] == 200


@pytest.mark.parametrize(
    ("base_url", "secure"),
    [
        ("https://meetings.example.org/", True),
        ("http://meetings.example.org/", True),
        ("http://localhost:8000/", False),
        ("http://127.0.0.1:8000/", False),
    ],
)
def test_the_cookie_is_secure_except_on_plain_http_here(
    workspace: Path, base_url: str, secure: bool
) -> None:
    reply = app_client(workspace, base_url).get("/subscribe")
    cookie = reply.headers["Set-Cookie"]
    assert ("Secure" in cookie) is secure
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie


def options_of(page: str) -> list[str]:
    return re.findall(r'<option value="([^"]+)"', page)


def test_the_form_offers_only_languages_it_can_keep(workspace: Path) -> None:
    client = app_client(workspace)  # the default: every translation is still a draft
    page = client.get("/subscribe?lang=es").text
    assert options_of(page) == ["en"]
    assert '<html lang="en"' in page
    assert "This page is not available in Español yet" in page
    status, text = sign_up(client, token_of(page), language="es")
    assert status == 400
    assert "choose a language and cities from the lists" in text


def test_an_allowed_draft_is_offered_and_speaks_its_language(workspace: Path) -> None:
    set_setting(workspace, '[languages]\nallow_drafts = ["es"]')
    client = app_client(workspace)
    page = client.get("/subscribe?lang=es").text
    assert options_of(page) == ["en", "es"]
    assert '<html lang="es"' in page
    assert "not available" not in page
    assert sign_up(client, token_of(page), language="es")[0] == 200
