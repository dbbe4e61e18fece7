"""Signed link tokens: opaque, purpose-bound, expiring, and rotatable without breaking links."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from itsdangerous import URLSafeSerializer

from reminders.cli import work
from reminders.mail.assembly import personal_links
from reminders.sending import identity, load_inputs
from reminders.store import open_state
from reminders.store.secret import load_secret
from reminders.tokens import InvalidToken, Secret, address_id, make_token, read_token, sign
from reminders.web.app import create_app
from tests.conftest import NEW_YORK
from tests.support.runs import settings_of

OLD, NEW = b"o" * 32, b"n" * 32
NOW = datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK)
ADDRESS = "maria.example@example.org"


def legacy_token(key: bytes, address: str, purpose: str) -> str:
    """A token as links sent before itsdangerous carry them: ``id.expiry.mac``."""
    ident = address_id(key, address)
    text = "\x00".join(("token", purpose, ident, "0")).encode()
    mac = base64.urlsafe_b64encode(hmac.new(key, text, hashlib.sha256).digest()[:16])
    return f"{ident}.0.{mac.decode().rstrip('=')}"


def test_a_token_names_an_opaque_id_never_the_address() -> None:
    token = make_token(Secret((NEW,)), ADDRESS, "unsubscribe")
    assert "maria" not in token
    assert "example" not in token
    assert read_token(Secret((NEW,)), token, "unsubscribe", NOW) == address_id(NEW, ADDRESS)


def test_a_token_is_bound_to_its_purpose_and_its_expiry() -> None:
    secret = Secret((NEW,))
    token = sign(secret, "abc", "confirm", NOW + timedelta(hours=48))
    assert read_token(secret, token, "confirm", NOW) == "abc"
    with pytest.raises(InvalidToken):
        read_token(secret, token, "unsubscribe", NOW)
    with pytest.raises(InvalidToken, match="expired"):
        read_token(secret, token, "confirm", NOW + timedelta(hours=49))


def test_rotation_keeps_old_links_and_a_removed_key_ends_them() -> None:
    before = make_token(Secret((OLD,)), ADDRESS, "unsubscribe")
    rotated = Secret((NEW, OLD))
    assert read_token(rotated, before, "unsubscribe", NOW) == address_id(OLD, ADDRESS)
    after = make_token(rotated, ADDRESS, "unsubscribe")
    assert read_token(Secret((NEW,)), after, "unsubscribe", NOW) == address_id(NEW, ADDRESS)
    with pytest.raises(InvalidToken):
        read_token(Secret((NEW,)), before, "unsubscribe", NOW)


def test_links_in_emails_sent_before_itsdangerous_still_work() -> None:
    token = legacy_token(OLD, ADDRESS, "unsubscribe")
    assert read_token(Secret((NEW, OLD)), token, "unsubscribe", NOW) == address_id(OLD, ADDRESS)
    with pytest.raises(InvalidToken):
        read_token(Secret((OLD,)), token, "preferences", NOW)
    with pytest.raises(InvalidToken):
        read_token(Secret((NEW,)), token, "unsubscribe", NOW)


def unsubscribe_link(workspace: Path) -> str:
    """The one-click link a reminder sent now carries for the first subscriber."""
    settings = settings_of(workspace)
    inputs = load_inputs(settings)
    with open_state(settings.state) as db:
        me = identity(settings, inputs.series, load_secret(db))
    link = personal_links(me, ADDRESS, NOW).unsubscribe
    return link.removeprefix(settings.base_url)


def test_rotating_the_secret_leaves_sent_links_working(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work.build(settings_of(workspace), NOW)
    sent_before = unsubscribe_link(workspace)  # signed by the stored key
    monkeypatch.setenv("REMINDERS_SECRET", "a-new-key-of-2026-first stored")
    sent_after = unsubscribe_link(workspace)
    assert sent_after != sent_before
    app = create_app(settings_of(workspace), clock=lambda: NOW).test_client()
    for link in (sent_before, sent_after):
        page = app.get("/" + link)
        assert page.status_code == 200, link
        assert "Stop the reminder emails?" in page.text
    monkeypatch.setenv("REMINDERS_SECRET", "a-new-key-of-2026-first")
    app = create_app(settings_of(workspace), clock=lambda: NOW).test_client()
    assert app.get("/" + sent_after).status_code == 200
    refused = app.post("/" + sent_before, data="List-Unsubscribe=One-Click")
    assert refused.status_code == 400
    assert "This link does not work" in refused.text


def test_a_short_key_in_the_environment_is_refused(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMINDERS_SECRET", "short")
    with open_state(settings_of(workspace).state) as db, pytest.raises(Exception, match="16"):
        load_secret(db)


def test_tokens_are_compared_in_utc() -> None:
    token = sign(Secret((NEW,)), "abc", "confirm", datetime(2011, 2, 23, 15, tzinfo=UTC))
    assert read_token(Secret((NEW,)), token, "confirm", NOW) == "abc"


def test_a_token_is_what_itsdangerous_itself_signs() -> None:
    expires = NOW + timedelta(days=30)
    ours = make_token(Secret((NEW, OLD)), ADDRESS, "preferences", expires)
    payload = [address_id(NEW, ADDRESS), int(expires.timestamp())]
    theirs = URLSafeSerializer([OLD, NEW], salt="reminders-preferences").dumps(payload)
    assert ours == theirs


def test_a_token_itsdangerous_compressed_is_still_read() -> None:
    ident = "ab" * 60  # repetitive enough for itsdangerous to deflate it
    compressed = URLSafeSerializer([NEW], salt="reminders-confirm").dumps([ident, 0])
    assert compressed.startswith(".")
    assert read_token(Secret((NEW,)), compressed, "confirm", NOW) == ident
