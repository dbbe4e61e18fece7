"""Quiet hours in the meeting's zone, replies read as carriers read them, numbers."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from reminders.privacy import mask_text
from reminders.sms.numbers import mask_number, parse_phone
from reminders.sms.rules import Ask, quiet, read_reply

BOSTON = ZoneInfo("America/New_York")
NIGHT, MORNING = time(21), time(8)


@pytest.mark.parametrize(
    ("local", "is_quiet"),
    [
        (datetime(2011, 3, 12, 20, 59, tzinfo=BOSTON), False),
        (datetime(2011, 3, 12, 21, 0, tzinfo=BOSTON), True),
        (datetime(2011, 3, 13, 3, 30, tzinfo=BOSTON), True),  # the night clocks spring forward
        (datetime(2011, 3, 13, 7, 59, tzinfo=BOSTON), True),
        (datetime(2011, 3, 13, 8, 0, tzinfo=BOSTON), False),
        (datetime(2011, 11, 6, 1, 30, tzinfo=BOSTON), True),  # the hour that happens twice
    ],
)
def test_quiet_hours_are_local_to_the_meeting(local: datetime, is_quiet: bool) -> None:
    moment = local
    assert quiet(moment, BOSTON, NIGHT, MORNING) is is_quiet
    assert quiet(moment.astimezone(ZoneInfo("UTC")), BOSTON, NIGHT, MORNING) is is_quiet


def test_equal_quiet_times_mean_no_quiet_hours() -> None:
    assert not quiet(datetime(2011, 3, 12, 3, tzinfo=BOSTON), BOSTON, time(0), time(0))


@pytest.mark.parametrize(
    ("body", "ask"),
    [
        ("stop ", Ask.STOP),
        ("STOP", Ask.STOP),
        (" Stop.", Ask.STOP),
        ("STOPALL", Ask.STOP),
        ("unsubscribe", Ask.STOP),
        ("Cancel", Ask.STOP),
        ("end", Ask.STOP),
        ("QUIT", Ask.STOP),
        ("PARAR", Ask.STOP),
        ("cancelar", Ask.STOP),
        ("Sair", Ask.STOP),
        ("START", Ask.START),
        ("yes", Ask.START),
        ("unstop", Ask.START),
        ("Sí", Ask.START),
        (" sim ", Ask.START),
        ("HELP", Ask.HELP),
        ("ayuda", Ask.HELP),
        ("AJUDA", Ask.HELP),
        ("stop texting me about the meeting", Ask.OTHER),  # carriers read the whole message
        ("thanks!", Ask.OTHER),
    ],
)
def test_replies_are_read_in_any_case_and_language(body: str, ask: Ask) -> None:
    assert read_reply(body) is ask


@pytest.mark.parametrize(
    ("text", "region", "number"),
    [
        ("(617) 555-0100", "US", "+16175550100"),
        ("617.555.0142", "US", "+16175550142"),
        ("+1 212 555 0199", "BR", "+12125550199"),
    ],
)
def test_numbers_are_kept_in_e164(text: str, region: str, number: str) -> None:
    assert parse_phone(text, region) == number


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("555-0100", "is not a valid phone number"),
        ("1-800-555-0100", "is not a mobile number (texts need one)"),
        ("call me", "is not a phone number"),
    ],
)
def test_a_number_that_cannot_get_texts_is_refused_without_echoing_it(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(why)}$"):
        parse_phone(text)


def test_numbers_are_masked_in_every_log_line() -> None:
    assert mask_number("+16175550100") == "+1 ••• ••• 0100"
    assert mask_text("texted +16175550100 and +5511955550100") == (
        "texted +1 ••• ••• 0100 and +55 ••• ••• 0100"
    )
