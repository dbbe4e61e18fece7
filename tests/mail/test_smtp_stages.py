"""SMTP outcomes by stage: the whole table, against a real server that fails where told.

A failure before RCPT TO, or a 421 anywhere, is the session's: the run stops
(exit 3) with every delivery still due. At RCPT TO, DATA and the end of the
data, a 5xx fails that delivery, and a 4xx or a dropped connection retries it.
Each row is played against a server that offers PIPELINING and one that does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from reminders.mail.handover import TransportError
from reminders.mail.outcomes import Stage, Trouble, Verdict, verdict
from tests.conftest import NEW_YORK, run_cli, set_setting
from tests.support.mailsink import Faults, RefusingServer, SinkServer
from tests.support.runs import send_at

FIRST = datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK)
WORCESTER = {
    "maria.example@example.org",
    "ana@example.org",
    "sam@example.org",
    "fatima@example.org",
}

Fault = Callable[[Faults], None]


def once(field: str, reply: str) -> Fault:
    return lambda faults: getattr(faults, field).append(reply)


def drop(stage: str) -> Fault:
    return lambda faults: faults.drop_at.append(stage)


def drop_at_end(faults: Faults) -> None:
    faults.drop_after = 1


def refuse_sam(faults: Faults) -> None:
    # Real servers quote the address in their reply: it must not reach a log.
    faults.rcpt_replies["sam@example.org"] = "550 5.1.1 <sam@example.org>: no such user"


def trickle(faults: Faults) -> None:
    faults.trickle = (6, 1.0)  # each line within the 2 s timeout, the whole reply not


# (what, fault, stage, trouble): the verdict is the table's, and the run must show it.
TABLE: list[tuple[str, Fault, Stage, Trouble]] = [
    ("EHLO 554", once("ehlo_replies", "554 5.0.0 go away"), Stage.EHLO, Trouble.PERMANENT),
    ("EHLO 451", once("ehlo_replies", "451 4.0.0 later"), Stage.EHLO, Trouble.TEMPORARY),
    ("EHLO trickled", trickle, Stage.EHLO, Trouble.TIMEOUT),
    (
        "MAIL 530",
        once("mail_replies", "530 5.7.0 authentication required"),
        Stage.MAIL,
        Trouble.PERMANENT,
    ),
    ("MAIL 554", once("mail_replies", "554 5.7.1 rejected"), Stage.MAIL, Trouble.PERMANENT),
    ("MAIL 451", once("mail_replies", "451 4.3.0 try later"), Stage.MAIL, Trouble.TEMPORARY),
    ("MAIL 421", once("mail_replies", "421 4.3.2 closing"), Stage.MAIL, Trouble.CLOSING),
    ("MAIL drop", drop("mail"), Stage.MAIL, Trouble.DROP),
    ("RCPT 550", refuse_sam, Stage.RCPT, Trouble.PERMANENT),
    ("RCPT 451", once("rcpt_queue", "451 4.7.1 greylisted"), Stage.RCPT, Trouble.TEMPORARY),
    ("RCPT 452", once("rcpt_queue", "452 4.2.2 mailbox full"), Stage.RCPT, Trouble.TEMPORARY),
    ("RCPT 421", once("rcpt_queue", "421 4.3.2 closing"), Stage.RCPT, Trouble.CLOSING),
    ("RCPT drop", drop("rcpt"), Stage.RCPT, Trouble.DROP),
    ("DATA 554", once("data_command_replies", "554 5.5.1 no"), Stage.DATA, Trouble.PERMANENT),
    ("DATA 451", once("data_command_replies", "451 4.3.0 later"), Stage.DATA, Trouble.TEMPORARY),
    ("DATA drop", drop("data"), Stage.DATA, Trouble.DROP),
    ("end 552", once("data_replies", "552 5.3.4 too big"), Stage.END_OF_DATA, Trouble.PERMANENT),
    ("end 451", once("data_replies", "451 4.3.0 later"), Stage.END_OF_DATA, Trouble.TEMPORARY),
    ("end 421", once("data_replies", "421 4.3.2 closing"), Stage.END_OF_DATA, Trouble.CLOSING),
    ("end drop", drop_at_end, Stage.END_OF_DATA, Trouble.DROP),
]


@pytest.fixture(params=[True, False], ids=["pipelined", "in turn"])
def smtp(request: pytest.FixtureRequest) -> Iterator[SinkServer]:
    with SinkServer(pipelining=request.param) as server:
        yield server


def served(smtp: SinkServer) -> list[str]:
    return sorted(r for message in smtp.sink.received for r in message.recipients)


@pytest.fixture
def short_timeout(mail_workspace: Path) -> Path:
    settings = mail_workspace / "reminders.toml"
    settings.write_text(settings.read_text().replace("timeout = 5", "timeout = 2"))
    return mail_workspace


@pytest.mark.parametrize(("what", "fault", "stage", "trouble"), TABLE, ids=[r[0] for r in TABLE])
def test_each_failure_does_what_the_table_says(
    short_timeout: Path, smtp: SinkServer, what: str, fault: Fault, stage: Stage, trouble: Trouble
) -> None:
    fault(smtp.sink.faults)
    first = send_at(short_timeout, FIRST)
    judged = verdict(stage, trouble)
    if judged is Verdict.STOP:
        assert isinstance(first.error, TransportError)
        assert first.error.exit_code == 3
        assert (first.sent, first.failed, first.retry) == (0, 0, 0)
        assert served(smtp) == []
        # Everything stayed due: the next run serves everyone, once.
        assert send_at(short_timeout, FIRST + timedelta(minutes=10)).sent == 4
        assert served(smtp) == sorted(WORCESTER)
    elif judged is Verdict.RETRY:
        assert (first.sent, first.retry, first.failed) == (3, 1, 0)
        assert send_at(short_timeout, FIRST + timedelta(minutes=6)).sent == 1
        assert served(smtp) == sorted(WORCESTER)
    else:
        assert (first.sent, first.failed, first.retry) == (3, 1, 0)
        assert send_at(short_timeout, FIRST + timedelta(hours=2)).sent == 0
        assert len(served(smtp)) == 3


def test_the_table_stops_for_the_session_and_judges_a_recipient_alone() -> None:
    before_rcpt = (Stage.CONNECT, Stage.GREETING, Stage.EHLO, Stage.STARTTLS, Stage.AUTH)
    for stage in (*before_rcpt, Stage.MAIL):
        assert {verdict(stage, t) for t in Trouble} == {Verdict.STOP}
    for stage in (Stage.RCPT, Stage.DATA, Stage.END_OF_DATA):
        assert verdict(stage, Trouble.PERMANENT) is Verdict.FAIL
        assert verdict(stage, Trouble.CLOSING) is Verdict.STOP
        for trouble in (Trouble.TEMPORARY, Trouble.DROP, Trouble.TIMEOUT):
            assert verdict(stage, trouble) is Verdict.RETRY


def test_a_refusing_greeting_stops_the_command_with_exit_3(workspace: Path) -> None:
    with RefusingServer() as server:
        set_setting(workspace, f'[mail]\ntransport = "{server.url}"\ntimeout = 5')
        result = run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=workspace)
    assert result.returncode == 3, result.stderr
    assert "greeting" in result.stderr
    assert "Traceback" not in result.stderr
    assert "sent 0 of 4 due" in result.stdout


def test_a_refused_mail_from_stops_the_command_with_exit_3_and_everything_due(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    smtp.sink.faults.mail_replies.append("530 5.7.0 authentication required")
    result = run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=mail_workspace)
    assert result.returncode == 3
    assert "sent 0 of 4 due; 0 failed" in result.stdout
    again = run_cli("send", "--now", "2011-02-23T09:15-05:00", cwd=mail_workspace)
    assert again.returncode == 0, again.stderr
    assert served(smtp) == sorted(WORCESTER)


def test_a_refused_login_stops_the_command_with_exit_3_and_everything_due(workspace: Path) -> None:
    with SinkServer(refuse_login=True) as server:
        url = f"smtp://reminders@127.0.0.1:{server.port}?starttls=off"
        set_setting(workspace, f'[mail]\ntransport = "{url}"\ntimeout = 5')
        result = run_cli(
            "send",
            "--now",
            "2011-02-23T09:05-05:00",
            cwd=workspace,
            REMINDERS_SMTP_PASSWORD="wrong-password",
        )
        assert server.sink.received == []
    assert result.returncode == 3, result.stderr
    assert "SMTP authentication failed: 535" in result.stderr
    assert "wrong-password" not in result.stderr
    status = run_cli("status", "--now", "2011-02-23T09:06-05:00", cwd=workspace)
    row = next(line for line in status.stdout.splitlines() if "worcester" in line)
    assert row.split()[1:5] == ["0", "0", "0", "4"]  # none sent, failed or retrying; 4 due
