"""A season of texts through the official Twilio client and a local API on 127.0.0.1.

The replay runs the daemon's tick (``simulate --live``) with the provider
setting pointed at :mod:`tests.support.twilioserver`; replies and delivery
reports reach `reminders serve` signed as Twilio signs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reminders.store import open_state
from tests.conftest import REPLAY, WebApp, edit_meetings, run_cli, serving, set_setting
from tests.support.mailsink import SinkServer
from tests.support.twilioserver import TwilioServer, incoming, status

LUZ, ZE, KIM, PAT = "+16175550101", "+16175550102", "+16175550103", "+16175550104"
PEOPLE = """\
email,name,language,cities,phone,channels,sms_consent
ana@example.org,Ana,en,Worcester,,,
,Luz,es,Worcester;Lawrence,+1 617 555 0101,sms,2011-02-10
ze@example.org,Zé,pt-BR,,617-555-0102,email;sms,2011-02-10
,Kim,en,Worcester;Lawrence;Waltham,(617) 555-0103,sms,2011-02-11
,Pat,en,,617.555.0104,sms,2011-02-11
"""


@pytest.fixture
def texting(mail_workspace: Path, smtp: SinkServer, provider: TwilioServer) -> Iterator[WebApp]:
    """The workspace texting through the local provider, and its web application."""
    (mail_workspace / "data" / "subscribers.example.csv").write_text(PEOPLE)
    set_setting(
        mail_workspace,
        f'[sms]\nprovider = "twilio"\nfrom = "+16175550199"\napi_url = "{provider.url}"\n'
        "max_per_second = 50",
    )
    with serving(mail_workspace, smtp, "--now", REPLAY) as app:
        yield app


def replay(app: WebApp, start: str, end: str) -> str:
    done = run_cli(
        "--quiet", "simulate", "--live", "--from", start, "--to", end, "--step", "1h", cwd=app.home
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def bodies(provider: TwilioServer, number: str) -> list[str]:
    return [text.body for text in provider.provider.to(number)]


def test_a_season_of_texts_once_each_after_consent_outside_quiet_hours_until_stop(
    texting: WebApp, provider: TwilioServer
) -> None:
    replay(texting, "2011-02-15T00:00-05:00", "2011-02-15T07:00-05:00")
    assert provider.provider.texts == []  # quiet hours: nobody is asked at night
    replay(texting, "2011-02-15T08:00-05:00", "2011-02-15T12:00-05:00")
    for number in (LUZ, ZE, KIM, PAT):
        [question] = bodies(provider, number)  # asked once, and nothing else before YES
        assert "YES" in question or "SI" in question or "SIM" in question
    assert bodies(provider, LUZ)[0].startswith("Responda SI para recibir recordatorios")
    assert "Lawrence, Worcester" in bodies(provider, LUZ)[0]

    for number, word in ((LUZ, "Sí"), (ZE, " sim "), (PAT, "yes")):
        code, twiml = incoming(texting.url, number, word)
        assert code == 200
        assert "<Message>" in twiml

    replay(texting, "2011-02-15T13:00-05:00", "2011-02-24T21:00-05:00")
    assert bodies(provider, LUZ)[1].startswith("Recordatorio: reunión de Worcester")
    assert bodies(provider, ZE)[1].startswith("Reminder: Worcester")  # pt-BR is not usable yet
    assert bodies(provider, PAT)[1].startswith(
        "Reminder: Worcester meeting Sat, Feb 26, 2 - 4 PM EST"
    )
    assert len(bodies(provider, KIM)) == 1  # never said YES: the question only

    # A new time, announced at night: emails go at once, texts when quiet hours end.
    edit_meetings(texting.home, 'start = "14:00"\nend = "16:00"', 'start = "15:00"\nend = "17:00"')
    replay(texting, "2011-02-24T22:00-05:00", "2011-02-25T07:00-05:00")
    assert len(bodies(provider, PAT)) == 2
    assert len(texting.smtp.sink.to("ana@example.org")) == 2  # the change notice by email
    replay(texting, "2011-02-25T08:00-05:00", "2011-02-25T10:00-05:00")
    assert bodies(provider, PAT)[2].startswith(
        "Changed: Worcester meeting is now Sat, Feb 26, 3 - 5 PM"
    )
    assert bodies(provider, LUZ)[2].startswith("Cambio: la reunión de Worcester")

    assert incoming(texting.url, PAT, "stop ")[0] == 200
    assert incoming(texting.url, LUZ, "PARAR")[0] == 200
    replay(texting, "2011-02-25T11:00-05:00", "2011-07-10T00:00-04:00")

    assert len(bodies(provider, LUZ)) == 3  # no Lawrence reminder after PARAR
    assert len(bodies(provider, PAT)) == 3  # nothing after "stop "
    assert bodies(provider, ZE)[0].startswith("Reply YES to get reminders")
    kinds = [body.split(":")[0] for body in bodies(provider, ZE)[1:]]
    assert kinds == ["Reminder", "Changed", "Reminder", "Reminder"]  # each once
    assert "Framingham" in bodies(provider, ZE)[3]
    assert "Lawrence" in bodies(provider, ZE)[4]
    questions = [t for t in provider.provider.texts if not t.callback]  # not of a meeting
    assert len(questions) == 4
    for text in provider.provider.texts:
        assert text.sender == "+16175550199"
        if text not in questions:  # nothing for the meetings whose place is unknown
            assert not any(c in text.body for c in ("Waltham", "Chelsea", "Brockton", "Boston"))
            assert text.callback == f"{texting.url}sms/status"


def test_a_wrong_signature_changes_nothing_and_gets_403(
    texting: WebApp, provider: TwilioServer
) -> None:
    replay(texting, "2011-02-15T08:00-05:00", "2011-02-15T09:00-05:00")
    assert incoming(texting.url, PAT, "yes", token="not the token")[0] == 403
    replay(texting, "2011-02-23T09:00-05:00", "2011-02-23T10:00-05:00")
    assert len(bodies(provider, PAT)) == 1  # no YES was taken: the question only
    assert incoming(texting.url, PAT, "yes")[0] == 200
    assert incoming(texting.url, PAT, "STOP", token="forged")[0] == 403
    replay(texting, "2011-02-23T11:00-05:00", "2011-02-23T12:00-05:00")
    assert len(bodies(provider, PAT)) == 2  # the forged STOP stopped nothing
    with open_state(texting.home / "var" / "state.db") as db:
        assert db.execute("SELECT count(*) FROM suppression").fetchone()[0] == 0


def test_a_number_reported_unreachable_gets_no_more_texts(
    texting: WebApp, provider: TwilioServer
) -> None:
    replay(texting, "2011-02-15T08:00-05:00", "2011-02-15T09:00-05:00")
    incoming(texting.url, PAT, "YES")
    incoming(texting.url, ZE, "YES")
    replay(texting, "2011-02-23T09:00-05:00", "2011-02-23T10:00-05:00")
    [_, reminder] = provider.provider.to(PAT)
    assert status(reminder, "delivered")[0] == 204
    assert status(provider.provider.to(ZE)[1], "undelivered", "30003")[0] == 204
    replay(texting, "2011-03-09T09:00-05:00", "2011-03-09T10:00-05:00")  # Framingham
    assert len(bodies(provider, PAT)) == 3
    assert len(bodies(provider, ZE)) == 2  # unreachable: suppressed, as a hard bounce
    listed = run_cli("suppressions", cwd=texting.home)
    assert "+1 ••• ••• 0102" in listed.stdout
    assert ZE not in listed.stdout


def test_a_number_the_provider_refuses_is_failed_and_suppressed(
    texting: WebApp, provider: TwilioServer
) -> None:
    provider.provider.refuse[KIM] = 21614  # not a mobile number
    replay(texting, "2011-02-15T08:00-05:00", "2011-02-15T09:00-05:00")
    assert bodies(provider, KIM) == []
    with open_state(texting.home / "var" / "state.db") as db:
        [(reason,)] = db.execute(
            "SELECT reason FROM suppression WHERE recipient = ?", (f"sms:{KIM}",)
        ).fetchall()
    assert reason == "number cannot get texts"
