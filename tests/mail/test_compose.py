"""Composed messages: structure, one recipient, safe headers, the calendar attachment."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage

import pytest
from icalendar import Calendar

from reminders import bundled
from reminders.inputs.meetings import Meeting
from reminders.inputs.meetings_file import load_series
from reminders.inputs.subscribers import Subscriber
from reminders.mail.assembly import Identity, compose, header_safe
from reminders.mail.context import PersonalLinks, message_context
from reminders.mail.templates import Templates
from reminders.publish.feed import FeedOptions, fingerprint, shown
from reminders.publish.site import meeting_calendar
from reminders.revisions import revise
from reminders.tokens import Secret
from tests.conftest import MEETINGS

SERIES = load_series(MEETINGS)
WORCESTER = SERIES.meetings[0]
OPTIONS = FeedOptions(base_url="https://example.org/meetings/")
IDENTITY = Identity(
    sender=Address("Meeting reminders", "reminders", "example.org"),
    reply_to=None,
    domain="example.org",
    list_name=SERIES.name,
    secret=Secret((b"s" * 32,)),
    base_url="https://example.org/meetings/",
)
ANA = Subscriber(email="ana@example.org", name="Ana Souza", cities=frozenset({"Worcester"}))
NOW = datetime(2011, 2, 23, 14, 5, tzinfo=UTC)
INJECTIONS = [
    "=?UTF-8?Q?=0D=0ABcc:_spy@example.net?=",
    "Ana\r\nBcc: spy@example.net",
    "Ana\nBcc: spy@example.net\n",
    "Ana\u2028Bcc: spy@example.net",
    "Ana\x85Bcc: spy@example.net",
    "=?utf-8?b?DQpCY2M6IHNweUBleGFtcGxlLm5ldA==?=",
]


def make(meeting: Meeting = WORCESTER, person: Subscriber = ANA) -> tuple[EmailMessage, bytes]:
    revisions = revise({m.id: fingerprint(shown(m, OPTIONS)) for m in (meeting,)}, {}, NOW)
    links = PersonalLinks(unsubscribe="https://u/", preferences="https://p/", mailto="mailto:x")
    context = message_context(meeting, person, SERIES, OPTIONS, links, NOW)
    letter = Templates((bundled.TEMPLATES / "email",), (bundled.LOCALE,)).render(
        "reminder", context
    )
    calendar = meeting_calendar(SERIES, meeting, revisions, OPTIONS)
    message = compose(
        letter,
        identity=IDENTITY,
        subscriber=person,
        meeting=meeting,
        kind="reminder:3d",
        calendar=calendar,
        now=NOW,
    )
    data = message.as_bytes()
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed, data


def test_structure_is_mixed_of_alternative_and_calendar() -> None:
    message, _ = make()
    assert message.get_content_type() == "multipart/mixed"
    body, attachment = message.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_filename() == "2011-02-26-worcester.ics"


def test_headers_a_mailbox_provider_expects() -> None:
    message, _ = make()
    assert message["To"] == "Ana Souza <ana@example.org>"
    assert message["From"] == "Meeting reminders <reminders@example.org>"
    assert message["Subject"] == "Reminder: Worcester meeting in 3 days (Sat, Feb 26)"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["List-Id"] == f"{SERIES.name} <reminders.example.org>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] == "Wed, 23 Feb 2011 14:05:00 +0000"
    https, mailto = (part.strip(" <>") for part in message["List-Unsubscribe"].split(","))
    assert https.startswith("https://example.org/meetings/unsubscribe?token=")
    assert mailto.startswith("mailto:reminders@example.org?subject=unsubscribe")
    assert "ana" not in message["List-Unsubscribe"].lower()


def test_message_ids_differ_per_recipient_and_never_name_the_host() -> None:
    import socket

    first, _ = make()
    second, _ = make(person=replace(ANA, email="sam@example.org"))
    assert first["Message-ID"] != second["Message-ID"]
    assert socket.gethostname() not in first["Message-ID"]


def test_every_line_fits_78_and_bodies_are_7bit() -> None:
    message, data = make()
    long_lines = [line for line in data.split(b"\r\n") if len(line) > 78]
    # Only List-Unsubscribe's unbreakable URLs may be longer (RFC 5322 allows 998).
    assert all(line.startswith((b"List-Unsubscribe:", b" <mailto:")) for line in long_lines)
    assert data.isascii()
    for part in message.walk():
        if not part.is_multipart():
            assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64", "7bit")


def test_attachment_matches_the_feed_event_and_carries_no_attendee() -> None:
    message, _ = make()
    attachment = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    [event] = Calendar.from_ical(payload).walk("VEVENT")
    assert event["UID"] == "2011-02-26-worcester@example.org"
    assert event["SEQUENCE"] == 0
    assert "ATTENDEE" not in event
    assert b"ana@example.org" not in payload


def test_no_remote_images_or_tracking() -> None:
    message, _ = make()
    html = message.get_body(("html",))
    assert html is not None
    content = html.get_content()
    assert "<img" not in content.lower()
    assert "Worcester Public Library" in content


def test_plain_text_says_when_where_and_how_to_leave() -> None:
    message, _ = make()
    text = message.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    assert "Saturday, February 26, 2011" in content
    assert "Eastern Time" in content
    assert "Worcester Public Library, 3 Salem Square, Worcester" in content
    assert "https://u/" in content


@pytest.mark.parametrize("payload", INJECTIONS)
def test_name_cannot_inject_a_header(payload: str) -> None:
    message, data = make(person=replace(ANA, name=payload))
    assert message.get_all("Bcc") is None
    assert len(message.get_all("To") or []) == 1
    assert message["To"].addresses[0].addr_spec == "ana@example.org"
    assert b"\r\nBcc:" not in data.split(b"\r\n\r\n")[0]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_title_cannot_inject_a_header(payload: str) -> None:
    meeting = replace(WORCESTER, city=payload, title=payload)
    message, data = make(meeting=meeting)
    assert message.get_all("Bcc") is None
    assert b"\r\nBcc:" not in data.split(b"\r\n\r\n")[0]
    assert "\n" not in message["Subject"]


def test_hostile_title_yields_a_safe_valid_message() -> None:
    title = "<script>alert(1)</script>\r\nBcc: spy@example.net " + "x" * 10_000 + " 🎉"
    meeting = replace(WORCESTER, title=title, city="Worcester <b>&")
    message, data = make(meeting=meeting)
    html = message.get_body(("html",))
    assert html is not None
    assert "<script>" not in html.get_content()
    assert "&lt;script&gt;" in html.get_content()
    assert message.get_all("Bcc") is None
    assert len(message["Subject"]) <= 150
    assert data.isascii()


def test_header_safe_removes_every_marker() -> None:
    assert header_safe("a\r\nb\u2028c=?x?=d\x00") == "a b c= ?x? =d"
