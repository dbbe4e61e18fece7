"""The fast composition gives exactly the bytes of the email package's own."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminders.inputs.subscribers import Subscriber
from reminders.kinds import Kind
from reminders.mail.assembly import compose
from reminders.mail.stencils import MessageStencil, set_boundaries
from reminders.mail.templates import Letter
from tests.mail.test_compose import IDENTITY, NOW, WORCESTER

CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
PROTOTYPE = MessageStencil(
    identity=IDENTITY, meeting=WORCESTER, kind=Kind("reminder:3d"), calendar=CALENDAR, now=NOW
)


def reference(letter: Letter, person: Subscriber) -> bytes:
    message = compose(
        letter,
        identity=IDENTITY,
        subscriber=person,
        meeting=WORCESTER,
        kind=Kind("reminder:3d"),
        calendar=CALENDAR,
        now=NOW,
    )
    set_boundaries(message, PROTOTYPE.outer, PROTOTYPE.inner)
    return message.as_bytes()


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("", "Reminder: Worcester meeting in 3 days (Sat, Feb 26)"),
        ("Ana Souza", "Reminder"),
        ("Smith, John", "Subject with (parens) and: colon"),
        ("María Pérez", "Recordatorio: reunión en Worcester"),
        ('Eve "the" <Hacker>', "x" * 200),
        ("=?UTF-8?Q?=0D=0A?=Bcc: x@example.net", "a=?b?=c\r\nBcc: y"),
        ("李小龙", "提醒：伍斯特会议"),
        ("  spaced   out  ", "  padded  "),
    ],
)
def test_fast_message_equals_the_email_packages(name: str, subject: str) -> None:
    person = Subscriber(email="person@example.org", name=name)
    letter = Letter(
        subject=subject,
        text=f"Hello {name},\nline two é\n" + "w" * 200,
        html=f"<p>Hello {name}</p>\n<p>{'long ' * 40}</p>",
    )
    data, message_id = PROTOTYPE.render(letter, person)
    assert data == reference(letter, person)
    assert message_id.endswith("@example.org>")


text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300)


@settings(max_examples=150, deadline=None)
@given(name=st.text(max_size=60), subject=st.text(max_size=120), body=text, html=text)
def test_any_content_composes_to_the_same_bytes(
    name: str, subject: str, body: str, html: str
) -> None:
    person = Subscriber(email="someone@example.net", name=name)
    letter = Letter(subject=subject, text=body, html=html)
    assert PROTOTYPE.render(letter, person)[0] == reference(letter, person)


def test_addresses_differ_only_where_they_should() -> None:
    letter = Letter(subject="S", text="T", html="H")
    one = PROTOTYPE.render(letter, Subscriber(email="one@example.org"))[0]
    two = PROTOTYPE.render(letter, Subscriber(email="two@example.org"))[0]
    assert b"two@example.org" not in one
    assert one.count(b"\r\n--") == two.count(b"\r\n--")
