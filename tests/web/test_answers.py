"""Answering over real HTTP: one-click links, the form, counts that replace, never a list."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from reminders.store import open_state
from reminders.tokens import Secret, sign
from tests.conftest import REPLAY, WebApp, edit_meetings, run_cli, serving, set_setting
from tests.support.mailsink import Received, SinkServer
from tests.support.webclient import Browserless, Reply
from tests.web.test_signup import wait_for_mail

WORCESTER = "2011-02-26-worcester"
FRAMINGHAM = "2011-03-12-framingham"
ANA = "ana@example.org"  # the bundled CSV's English reader of the Worcester meeting


def counts(app: WebApp) -> dict[str, dict[str, str]]:
    """`reminders attendance --csv`, by meeting."""
    done = run_cli("attendance", "--csv", cwd=app.home)
    assert done.returncode == 0, done.stderr
    return {row["meeting"]: row for row in csv.DictReader(io.StringIO(done.stdout))}


def reminder_for(app: WebApp, address: str = ANA) -> Received:
    assert run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=app.home).returncode == 0
    [message] = wait_for_mail(app, address)
    return message


def links_in(message: Received) -> list[str]:
    """Every link of both parts that points at the site (the others are not ours to fetch)."""
    found: list[str] = []
    for kind in ("plain", "html"):
        part = message.message.get_body((kind,))
        assert part is not None
        text = part.get_content().replace("&amp;", "&")
        found += re.findall(r"http://127\.0\.0\.1:\d+/[^\s\"<>]*", text)
    return found


def answer_links(message: Received) -> dict[str, str]:
    found = {}
    for link in links_in(message):
        if match := re.search(r"/rsvp/[a-z0-9-]+/(yes|maybe|no)\?token=", link):
            found[match.group(1)] = link
    assert set(found) == {"yes", "maybe", "no"}, links_in(message)
    return found


def submit(browser: Browserless, page: Reply, url: str, **fields: object) -> Reply:
    """Send the page's form as a browser would: its action, its CSRF token, ``fields``."""
    action = re.search(r'<form method="post" action="([^"]+)" class="rsvp">', page.body)
    assert action, page.body
    form: dict[str, object] = {"csrf": page.form_token(), "guests": 0, "children": 0}
    return browser.post(action.group(1).replace("&amp;", "&"), {**form, **fields})


def answer(app: WebApp, link: str, **fields: object) -> Reply:
    browser = Browserless("127.0.0.1", app.port)
    page = browser.get(link)
    assert page.status == 200
    return submit(browser, page, link, **fields)


def secret_of(app: WebApp) -> Secret:
    from reminders.store.secret import load_secret

    with open_state(app.home / "var" / "state.db") as db:
        return load_secret(db)


def test_the_reminder_carries_three_answer_links_bound_to_its_meeting(replay_app: WebApp) -> None:
    links = answer_links(reminder_for(replay_app))
    assert all(f"/rsvp/{WORCESTER}/" in link for link in links.values())
    text = reminder_for_text(replay_app)
    assert "I'll come: http://127.0.0.1" in text
    assert "Nobody can see who answered." in text


def reminder_for_text(app: WebApp) -> str:
    [message] = app.smtp.sink.to(ANA)
    part = message.message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_mail_scanner_opening_every_link_records_nothing(replay_app: WebApp) -> None:
    message = reminder_for(replay_app)
    scanner = Browserless("127.0.0.1", replay_app.port)
    for link in links_in(message):
        if "/unsubscribe" in link:
            continue  # its GET shows a button too (tested with the sign-up pages)
        assert scanner.get(link).status in (200, 404), link  # a page, never a record
    assert counts(replay_app)[WORCESTER]["yes"] == "0"
    assert counts(replay_app)[WORCESTER]["maybe"] == "0"
    assert counts(replay_app)[WORCESTER]["no"] == "0"


def test_answering_again_replaces_the_first_answer(replay_app: WebApp) -> None:
    links = answer_links(reminder_for(replay_app))
    first = answer(
        replay_app, links["yes"], response="yes", guests=1, interpretation="es", children=2
    )
    assert first.status == 303
    assert "saved=1" in first.headers["location"]
    row = counts(replay_app)[WORCESTER]
    assert (row["yes"], row["guests"], row["childcare"], row["interpretation:es"]) == (
        "1",
        "1",
        "2",
        "1",
    )
    again = answer(replay_app, links["maybe"], response="maybe", guests=1)
    assert again.status == 303
    row = counts(replay_app)[WORCESTER]
    assert (row["yes"], row["maybe"], row["guests"], row["childcare"]) == ("0", "1", "1", "0")


def test_the_link_shows_the_earlier_answer_to_change_it(replay_app: WebApp) -> None:
    links = answer_links(reminder_for(replay_app))
    answer(replay_app, links["yes"], response="yes", guests=3, wheelchair="yes")
    page = Browserless("127.0.0.1", replay_app.port).get(links["maybe"])
    assert re.search(r'value="maybe" checked', page.body)
    assert "<option selected>3</option>" in page.body
    assert re.search(r'name="wheelchair" value="yes" checked', page.body)


def form_target(link: str) -> str:
    """Where the form of an answer link posts: the meeting's page, with the link's token."""
    return re.sub(r"/(yes|maybe|no)\?", "?", link)


@pytest.mark.parametrize("damage", ["forged", "altered", "other meeting", "other purpose"])
def test_a_bad_token_changes_nothing(replay_app: WebApp, damage: str) -> None:
    message = reminder_for(replay_app)
    good = answer_links(message)["yes"]
    path, token = urlsplit(good).path, good.split("token=")[1]
    if damage == "forged":
        forged = sign(Secret((b"not the key" * 3,)), f"abc:{WORCESTER}", "rsvp")
        link = f"{path}?token={quote(forged)}"
    elif damage == "altered":
        link = f"{path}?token={token[:-3]}{'BBB' if token.endswith('AAA') else 'AAA'}"
    elif damage == "other meeting":
        link = f"/rsvp/{FRAMINGHAM}/yes?token={token}"
    else:
        leave = next(x for x in links_in(message) if "/unsubscribe?" in x)
        link = f"{path}?token={leave.split('token=')[1]}"
    browser = Browserless("127.0.0.1", replay_app.port)
    assert browser.get(link).status == 400
    # A form fetched from a good link, then posted with the bad token, is refused too.
    page = browser.get(good)
    reply = browser.post(form_target(link), {"csrf": page.form_token(), "response": "yes"})
    assert reply.status == 400
    assert "This link does not work" in reply.body
    assert all(row["yes"] == "0" for row in counts(replay_app).values())


def test_a_form_from_elsewhere_or_without_its_token_records_nothing(replay_app: WebApp) -> None:
    link = answer_links(reminder_for(replay_app))["yes"]
    browser = Browserless("127.0.0.1", replay_app.port)
    action = urlsplit(link)
    target = f"/rsvp/{WORCESTER}?{action.query}"
    assert browser.post(target, {"response": "yes", "guests": 0}).status == 403
    elsewhere = Browserless(
        "127.0.0.1", replay_app.port, headers={"Origin": "https://evil.example.com"}
    )
    page = elsewhere.get(link)
    assert elsewhere.post(target, {"csrf": page.form_token(), "response": "yes"}).status == 403
    assert counts(replay_app)[WORCESTER]["yes"] == "0"


def test_values_the_form_never_offers_are_refused(replay_app: WebApp) -> None:
    link = answer_links(reminder_for(replay_app))["yes"]
    for fields in (
        {"response": "perhaps"},
        {"response": "yes", "guests": 10},
        {"response": "yes", "guests": -1},
        {"response": "yes", "children": "two"},
        {"response": "yes", "interpretation": "xx-evil"},
    ):
        assert answer(replay_app, link, **fields).status == 400, fields
    assert counts(replay_app)[WORCESTER]["yes"] == "0"


def test_the_landing_page_answers_without_an_address_and_can_change_it(
    replay_app: WebApp,
) -> None:
    browser = Browserless("127.0.0.1", replay_app.port)
    landing = browser.get("/")
    assert f'href="/rsvp/{FRAMINGHAM}?lang=en"' in landing.body
    page = browser.get(f"/rsvp/{FRAMINGHAM}")
    assert 'type="email"' not in page.body
    assert 'name="email"' not in page.body
    saved = submit(browser, page, f"/rsvp/{FRAMINGHAM}", response="yes", guests=2)
    assert saved.status == 303
    mine = saved.headers["location"]
    assert "token=" in mine
    assert counts(replay_app)[FRAMINGHAM]["expected"] == "3"
    changed = submit(browser, browser.get(mine), mine, response="no")
    assert changed.status == 303
    row = counts(replay_app)[FRAMINGHAM]
    assert (row["yes"], row["no"], row["expected"]) == ("0", "1", "0")
    # Another visitor's answer is another answer.
    other = Browserless("127.0.0.1", replay_app.port)
    submit(other, other.get(f"/rsvp/{FRAMINGHAM}"), "", response="maybe")
    assert counts(replay_app)[FRAMINGHAM]["maybe"] == "1"


def test_unknown_and_cancelled_meetings_take_no_answers(replay_app: WebApp) -> None:
    browser = Browserless("127.0.0.1", replay_app.port)
    assert browser.get("/rsvp/no-such-meeting").status == 404
    page = browser.get(f"/rsvp/{FRAMINGHAM}")
    edit_meetings(
        replay_app.home, 'room = "Room 205-206"', 'room = "Room 205-206"\nstatus = "cancelled"'
    )
    assert browser.get(f"/rsvp/{FRAMINGHAM}").status == 410
    assert submit(browser, page, "", response="yes").status == 410
    assert counts(replay_app)[FRAMINGHAM]["yes"] == "0"
    unknown = run_cli("attendance", "no-such-meeting", cwd=replay_app.home)
    assert unknown.returncode == 1
    assert "no meeting 'no-such-meeting'" in unknown.stderr


def test_public_counts_show_ranges_never_small_numbers(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    set_setting(mail_workspace, "[attendance]\npublic = true")
    with serving(mail_workspace, smtp, "--now", REPLAY) as app:
        for _ in range(2):
            visitor = Browserless("127.0.0.1", app.port)
            submit(visitor, visitor.get(f"/rsvp/{FRAMINGHAM}"), "", response="yes", guests=1)
        landing = Browserless("127.0.0.1", app.port).get("/").body
        framingham = landing.split(f'id="{FRAMINGHAM}"')[1].split("</article>")[0]
        assert "A few people plan to come" in framingham
        assert not re.search(r"\b[1-4]\b[^<]*plan to come", framingham)
        for _ in range(4):
            visitor = Browserless("127.0.0.1", app.port)
            submit(visitor, visitor.get(f"/rsvp/{FRAMINGHAM}"), "", response="yes", guests=1)
        landing = Browserless("127.0.0.1", app.port).get("/").body
        framingham = landing.split(f'id="{FRAMINGHAM}"')[1].split("</article>")[0]
        assert "10 or more people plan to come" in framingham  # 12 expected
        assert counts(app)[FRAMINGHAM]["expected"] == "12"


def test_counts_stay_private_unless_the_settings_say_so(replay_app: WebApp) -> None:
    visitor = Browserless("127.0.0.1", replay_app.port)
    submit(visitor, visitor.get(f"/rsvp/{FRAMINGHAM}"), "", response="yes", guests=9)
    assert "plan to come" not in Browserless("127.0.0.1", replay_app.port).get("/").body


def sends_to(app: WebApp, moment: str, address: str = ANA) -> list[str]:
    """Run `reminders send --now MOMENT`; the subjects ``address`` has received so far."""
    done = run_cli("send", "--now", moment, cwd=app.home)
    assert done.returncode == 0, done.stderr
    return [str(m.message["Subject"]) for m in app.smtp.sink.to(address)]


@pytest.fixture
def two_reminders(mail_workspace: Path, smtp: SinkServer) -> Iterator[WebApp]:
    """The replayed application, with reminders 3 days and 1 day before each meeting."""
    set_setting(mail_workspace, '[reminders]\noffsets = ["3 days", "1 day"]')
    with serving(mail_workspace, smtp, "--now", REPLAY) as app:
        yield app


def test_i_cannot_come_ends_the_reminders_but_not_the_notices(two_reminders: WebApp) -> None:
    app = two_reminders
    links = answer_links(reminder_for(app))
    assert answer(app, links["no"], response="no").status == 303
    assert len(sends_to(app, "2011-02-25T09:05-05:00")) == 1  # no "1 day" reminder
    assert len(app.smtp.sink.to("maria.example@example.org")) == 2  # others get theirs
    edit_meetings(app.home, 'start = "14:00"\nend = "16:00"', 'start = "15:00"\nend = "17:00"')
    subjects = sends_to(app, "2011-02-25T12:00-05:00")
    assert len(subjects) == 2
    assert subjects[-1].startswith("Changed: Worcester meeting")


def test_changing_no_to_yes_brings_the_next_reminder_back(two_reminders: WebApp) -> None:
    links = answer_links(reminder_for(two_reminders))
    answer(two_reminders, links["no"], response="no")
    answer(two_reminders, links["yes"], response="yes")
    assert len(sends_to(two_reminders, "2011-02-25T09:05-05:00")) == 2


def test_the_day_of_reminder_goes_only_to_people_coming(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    set_setting(mail_workspace, '[attendance]\nday_of = "2 hours"')
    with serving(mail_workspace, smtp, "--now", REPLAY) as app:
        links = answer_links(reminder_for(app))
        maria = answer_links(app.smtp.sink.to("maria.example@example.org")[0])
        answer(app, links["yes"], response="yes")
        answer(app, maria["maybe"], response="maybe")
        assert len(sends_to(app, "2011-02-26T12:30-05:00")) == 2  # Ana: 3 days, then 2 hours
        assert len(sends_to(app, "2011-02-26T13:00-05:00")) == 2  # once
        assert len(app.smtp.sink.to("maria.example@example.org")) == 1
        assert str(app.smtp.sink.to(ANA)[-1].message["Subject"]).startswith(
            "Reminder: Worcester meeting in 2 hours"
        )


def test_the_answer_page_speaks_the_reader_s_language(replay_app: WebApp) -> None:
    browser = Browserless("127.0.0.1", replay_app.port)
    page = browser.get(f"/rsvp/{FRAMINGHAM}?lang=es")
    assert "¿Vendrá a la reunión de Framingham?" in page.body
    assert "Enviar mi respuesta" in page.body
    saved = submit(browser, page, "", response="yes")
    assert "lang=es" in saved.headers["location"]
    assert "Su respuesta quedó guardada" in browser.get(saved.headers["location"]).body
