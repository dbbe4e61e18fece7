"""No full address reaches a log line, whoever logs it and however."""

from __future__ import annotations

import logging

import pytest

from reminders.privacy import mask, mask_text
from tests.conftest import full_addresses


def test_an_address_is_masked_to_its_first_letter_and_domain() -> None:
    assert mask("maria.example@example.org") == "m***@example.org"
    assert mask_text("550 5.1.1 <p0003@example.net>: no such user") == (
        "550 5.1.1 <p***@example.net>: no such user"
    )


def test_every_part_of_a_record_is_masked_at_every_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("smtplib.anything")  # not ours: masking is not per logger
    log.debug("to %s", "ana@example.org")
    log.warning("reply: 550 <sam@example.org> unknown")
    try:
        raise ValueError("fatima@example.org refused")
    except ValueError:
        log.exception("sending to %s failed", "maria.example@example.org")
    text = "\n".join(f"{record.getMessage()}\n{record.exc_text or ''}" for record in caplog.records)
    assert full_addresses(text) == []
    assert "a***@example.org" in text
    assert "f***@example.org refused" in text
    assert full_addresses(caplog.text) == []
