"""The text provider every test of the channel talks to: a local Twilio API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.twilioserver import ACCOUNT, TOKEN, TwilioServer


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[TwilioServer]:
    """The local API, with the account's credentials in the environment, as in production."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    with TwilioServer() as server:
        yield server
