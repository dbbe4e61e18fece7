"""The whole journey in a real browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, WebApp, edit_meetings, run_cli
from tests.web.test_signup import wait_for_mail

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
NEWCOMER = "browser.user@example.net"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield launched
        launched.close()


def test_sign_up_confirm_remind_unsubscribe_in_a_browser(web_app: WebApp, browser: object) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(web_app.url)
    assert page.title() == "Community meetings on Secure Communities"
    page.screenshot(path=str(ARTIFACTS / "landing-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "landing-desktop.png"), full_page=True)

    page.fill("#email", NEWCOMER)
    page.fill("#name", "Browser User")
    page.select_option("#language", "en")
    page.check("input[name=cities][value=Worcester]")
    page.click("text=Send me a confirmation email")
    assert page.locator("h1").inner_text() == "Check your email"

    [confirmation] = wait_for_mail(web_app, NEWCOMER)
    html = confirmation.message.get_body(("html",))
    assert html is not None
    link = re.search(r'href="(http://127\.0\.0\.1:\d+/confirm\?token=[^"]+)"', html.get_content())
    assert link
    page.goto(link.group(1).replace("&amp;", "&"))
    page.click("text=Yes, send me reminders")
    assert page.locator("h1").inner_text() == "You are signed up"

    assert run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=web_app.home).returncode == 0
    [_, reminder] = wait_for_mail(web_app, NEWCOMER, count=2)
    body = reminder.message.get_body(("html",))
    assert body is not None
    leave = re.search(r'href="([^"]+/unsubscribe\?token=[^"]+)"', body.get_content())
    assert leave
    page.goto(leave.group(1).replace("&amp;", "&"))
    page.click("text=Stop all emails")
    assert page.locator("h1").inner_text() == "You will get no more emails"

    edit_meetings(web_app.home, 'start = "14:00"\nend = "16:00"', 'start = "15:00"\nend = "17:00"')
    assert run_cli("send", "--now", "2011-02-24T09:05-05:00", cwd=web_app.home).returncode == 0
    assert len(web_app.smtp.sink.to(NEWCOMER)) == 2  # no change notice after leaving
    assert len(web_app.smtp.sink.to("ana@example.org")) == 2  # others still hear of it
    context.close()


@pytest.mark.parametrize(
    ("tag", "direction", "heading"),
    [
        ("es", "ltr", "Reciba un recordatorio por correo antes de cada reunión"),
        ("ar", "rtl", "تلقَّ تذكيرًا بالبريد الإلكتروني قبل كل اجتماع"),
    ],
)
def test_landing_page_in_spanish_and_arabic(
    web_app: WebApp, browser: Any, tag: str, direction: str, heading: str
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale=tag,
    )
    page = context.new_page()
    page.goto(web_app.url)  # chosen by the browser's Accept-Language
    assert page.locator("html").get_attribute("lang") == tag
    assert page.locator("html").get_attribute("dir") == direction
    assert page.locator("#reminders").inner_text() == heading
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    page.screenshot(path=str(ARTIFACTS / f"landing-{tag}.png"), full_page=True)
    page.goto(web_app.url + "?lang=en")  # and switched by a link
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()


def test_answer_from_a_reminder_then_change_it_in_a_browser(
    replay_app: WebApp, browser: Any
) -> None:
    """From the email's "I'll come" to the form, then "Maybe": the counts move, not double."""
    assert run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=replay_app.home).returncode == 0
    [reminder] = wait_for_mail(replay_app, "ana@example.org")
    html = reminder.message.get_body(("html",))
    assert html is not None
    coming = re.search(
        r'href="([^"]+/rsvp/2011-02-26-worcester/yes\?token=[^"]+)"', html.get_content()
    )
    assert coming
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(coming.group(1).replace("&amp;", "&"))
    assert page.locator("h1").inner_text() == "Will you come to the Worcester meeting?"
    assert page.locator("input[name=response][value=yes]").is_checked()
    page.select_option("#guests", "1")
    page.select_option("#interpretation", "es")
    page.select_option("#children", "2")
    page.screenshot(path=str(ARTIFACTS / "answer-phone.png"), full_page=True)
    page.click("text=Send my answer")
    assert "Your answer is saved" in page.locator("main").inner_text()
    needs = {"guests": "1", "childcare": "2", "es": "1"}
    assert attendance(replay_app) == {"yes": "1", "maybe": "0", **needs}

    page.check("input[name=response][value=maybe]")  # the saved answer is shown, changed here
    assert page.locator("#children").input_value() == "2"
    page.click("text=Send my answer")
    assert "Your answer is saved" in page.locator("main").inner_text()
    assert attendance(replay_app) == {"yes": "0", "maybe": "1", **needs}  # moved, not doubled
    context.close()


def attendance(app: WebApp) -> dict[str, str]:
    """The Worcester row of `reminders attendance --csv`, as the organizers read it."""
    done = run_cli("attendance", "2011-02-26-worcester", "--csv", cwd=app.home)
    assert done.returncode == 0, done.stderr
    [row] = csv.DictReader(io.StringIO(done.stdout))
    keys = {"yes": "yes", "maybe": "maybe", "guests": "guests", "childcare": "childcare"}
    return {**{k: row[v] for k, v in keys.items()}, "es": row.get("interpretation:es", "0")}
