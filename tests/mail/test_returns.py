"""Mail that comes back: return paths that name the delivery, and what each kind does."""

from __future__ import annotations

import mailbox
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from pathlib import Path

import pytest

from reminders.inputs.meetings import Snapshot
from reminders.inputs.meetings_file import load_series
from reminders.kinds import Kind
from reminders.mail.returns import message_id_of, return_path
from reminders.plan import Delivery
from reminders.store import open_state, queue
from reminders.store.base import Database
from reminders.store.bounces import record_bounce
from reminders.store.ledger import record_sent, suppressed
from tests.conftest import ROOT, run_cli
from tests.support.mailsink import SinkServer

SAMPLES = Path(__file__).parent / "returned"
BOUNCES = Address("", "bounces", "example.org")
SAM = "sam@example.org"
SEND_AT = "2011-02-23T09:05-05:00"


def sent_to(home: Path, address: str) -> str:
    """The Message-ID of the reminder the workspace sent to ``address``."""
    with open_state(home / "var" / "state.db") as db:
        row = db.execute(
            "SELECT message_id FROM delivery WHERE recipient = ? AND status = 'sent'", (address,)
        ).fetchone()
    return str(row[0])


def returned(sample: str, message_id: str, address: str = SAM) -> bytes:
    token = return_path(BOUNCES, message_id).split("+")[1].split("@")[0]
    text = (SAMPLES / sample).read_text(encoding="utf-8")
    return text.format(token=token, message_id=message_id, address=address).encode()


def feed(home: Path, data: bytes) -> subprocess.CompletedProcess[bytes]:
    """`reminders bounce` with one message on standard input, as Postfix's pipe runs it."""
    return subprocess.run(
        [sys.executable, "-m", "reminders", "bounce"],
        input=data,
        cwd=home,
        capture_output=True,
        timeout=60,
    )


def test_a_return_path_names_the_delivery_and_not_the_address() -> None:
    message_id = "<AbCdEfGhIjKlMnOpQr-_@example.org>"
    path = return_path(BOUNCES, message_id)
    local, _, domain = path.partition("@")
    assert domain == "example.org"
    assert local.startswith("bounces+")
    token = local.removeprefix("bounces+")
    assert token == token.lower()
    assert message_id_of(token, "example.org") == message_id
    assert message_id_of(token.upper(), "example.org") == message_id  # case folded in transit


def test_every_message_goes_out_with_its_own_return_path(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    assert run_cli("send", "--now", SEND_AT, cwd=mail_workspace).returncode == 0
    assert len(smtp.sink.received) == 4
    senders = set()
    for message in smtp.sink.received:
        local, _, domain = message.sender.partition("@")
        assert domain == "example.org"
        token = local.removeprefix("bounces+")
        assert message_id_of(token, "example.org") == message.message["Message-ID"]
        assert message.message["From"] == "Meeting reminders <reminders@example.org>"
        senders.add(message.sender)
    assert len(senders) == 4


@pytest.mark.parametrize(
    ("sample", "suppressed_as"),
    [
        ("postfix-hard.eml", "bounced"),
        ("exim-hard.eml", "bounced"),
        ("gmail-hard.eml", "bounced"),
        ("microsoft-hard.eml", "bounced"),
        ("yahoo-hard.eml", "bounced"),
        ("qmail-hard.eml", "bounced"),
        ("arf-complaint.eml", "complained"),
        ("postfix-delayed.eml", None),
        ("autoreply-none.eml", None),
    ],
)
def test_each_kind_of_returned_mail_does_what_it_should(
    workspace: Path, sample: str, suppressed_as: str | None
) -> None:
    assert run_cli("send", "--now", SEND_AT, cwd=workspace).returncode == 0
    result = feed(workspace, returned(sample, sent_to(workspace, SAM)))
    assert result.returncode == 0, result.stderr
    assert SAM.encode() not in result.stderr
    listing = run_cli("suppressions", cwd=workspace)
    if suppressed_as is None:
        assert listing.stdout.strip() == "none"
    else:
        assert f"s***@example.org  {suppressed_as}" in listing.stdout
        assert SAM not in listing.stdout
        later = run_cli("send", "--now", "2011-03-09T09:05-05:00", cwd=workspace)
        assert later.returncode == 0
        assert "sent 2 of 2 due" in later.stdout  # Framingham, without Sam


def test_a_bounce_naming_no_delivery_changes_nothing(workspace: Path) -> None:
    assert run_cli("send", "--now", SEND_AT, cwd=workspace).returncode == 0
    forged = "<ZZZZZZZZZZZZZZZZZZZZ@example.org>"
    result = feed(workspace, returned("postfix-hard.eml", forged))
    assert result.returncode == 0
    assert b"1 unmatched" in result.stderr
    assert run_cli("suppressions", cwd=workspace).stdout.strip() == "none"


def test_postfix_is_told_to_try_later_when_the_store_is_unavailable(workspace: Path) -> None:
    (workspace / "var").mkdir()
    (workspace / "var" / "state.db").mkdir()  # no database can open here
    result = feed(workspace, b"Subject: x\n\nhello\n")
    assert result.returncode == 75


def test_a_bounce_mailbox_is_read_once(workspace: Path) -> None:
    assert run_cli("send", "--now", SEND_AT, cwd=workspace).returncode == 0
    folder = workspace / "bounces"
    box = mailbox.Maildir(folder, create=True)
    box.add(returned("postfix-hard.eml", sent_to(workspace, SAM)))
    box.add(
        returned("autoreply-none.eml", sent_to(workspace, "ana@example.org"), "ana@example.org")
    )
    first = run_cli("bounces", "--maildir", str(folder), cwd=workspace)
    assert first.returncode == 0, first.stderr
    assert "read 2: 1 hard, 0 soft, 0 complaints, 1 not bounces" in first.stdout
    again = run_cli("bounces", "--maildir", str(folder), cwd=workspace)
    assert "read 0:" in again.stdout
    assert len(list((folder / "cur").iterdir())) == 2


def test_the_command_reads_the_mailbox_the_daemon_would(workspace: Path) -> None:
    settings = workspace / "reminders.toml"
    settings.write_text(
        settings.read_text()
        + '[bounces]\nmaildir = "bounces"\nimap = "imaps://list@127.0.0.1:1/Bounces"\n'
    )
    assert run_cli("send", "--now", SEND_AT, cwd=workspace).returncode == 0
    box = mailbox.Maildir(workspace / "bounces", create=True)
    box.add(returned("postfix-hard.eml", sent_to(workspace, SAM)))
    result = run_cli("bounces", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "read 1: 1 hard" in result.stdout


def test_a_replayed_moment_must_say_its_zone(workspace: Path) -> None:
    folder = workspace / "bounces"
    mailbox.Maildir(folder, create=True)
    for moment in ("2011-02-20T09:00", "garbage"):
        result = run_cli("bounces", "--maildir", str(folder), "--now", moment, cwd=workspace)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert "such as 2011-02-23T09:05-05:00" in result.stderr


def test_the_full_list_is_exported_for_the_organizer_alone(workspace: Path, tmp_path: Path) -> None:
    assert run_cli("send", "--now", SEND_AT, cwd=workspace).returncode == 0
    feed(workspace, returned("arf-complaint.eml", sent_to(workspace, SAM)))
    out = tmp_path / "suppressed.csv"
    result = run_cli("suppressions", "--export", str(out), cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    assert f"{SAM},complained," in out.read_text()
    status = run_cli("status", "--now", "2011-02-24T09:00-05:00", cwd=workspace)
    assert "0 bounced for good, 0 bounced for now, 1 complaints" in status.stdout
    assert "Suppressed: 1 complained" in status.stdout


def _deliver(db: Database, n: int, when: datetime) -> str:
    """A reminder recorded as sent to Sam at ``when``; its Message-ID."""
    delivery = Delivery(
        meeting_id=f"m{n}", kind=Kind("reminder:3d"), recipient=SAM, closes=when + timedelta(days=3)
    )
    queue.enqueue(db, [delivery], when)
    message_id = f"<{n:020d}@example.org>"
    told = Snapshot.of(load_series(ROOT / "data" / "meetings.toml").meetings[0])
    record_sent(db, delivery, message_id, when, told)
    return message_id


def test_temporary_failures_drop_an_address_only_five_in_a_row(tmp_path: Path) -> None:
    start = datetime(2011, 2, 1, tzinfo=UTC)
    with open_state(tmp_path / "state.db") as db:
        ids = [_deliver(db, n, start + timedelta(days=n)) for n in range(7)]
        # Four soft bounces, then a delivery that came through, then four more: kept.
        for n in (0, 1, 2, 3, 5, 6):
            assert not record_bounce(db, ids[n], "soft", start + timedelta(days=9)).suppressed
        assert SAM not in suppressed(db)
        # Three more in a row after the two: the fifth since the one that came through.
        more = [_deliver(db, n, start + timedelta(days=n)) for n in (7, 8, 9)]
        assert not record_bounce(db, more[0], "soft", start + timedelta(days=10)).suppressed
        assert not record_bounce(db, more[1], "soft", start + timedelta(days=10)).suppressed
        assert record_bounce(db, more[2], "soft", start + timedelta(days=10)).suppressed
        assert SAM in suppressed(db)
        # The same report read twice counts once.
        assert not record_bounce(db, more[2], "soft", start + timedelta(days=11)).suppressed


def test_a_bounce_folder_over_imap_is_read_once(workspace: Path, tmp_path: Path) -> None:
    from tests.support.imapserver import ImapServer

    assert run_cli("send", "--now", SEND_AT, cwd=workspace).returncode == 0
    with ImapServer(tmp_path, "bounces", "imap-secret") as server:
        server.messages.append(returned("gmail-hard.eml", sent_to(workspace, SAM)))
        server.messages.append(returned("autoreply-none.eml", sent_to(workspace, SAM)))
        url = f"imaps://bounces@127.0.0.1:{server.port}/INBOX"
        env = {"REMINDERS_IMAP_PASSWORD": "imap-secret", "SSL_CERT_FILE": str(server.cert)}
        first = run_cli("bounces", "--imap", url, cwd=workspace, **env)
        assert first.returncode == 0, first.stderr
        assert "read 2: 1 hard, 0 soft, 0 complaints, 1 not bounces" in first.stdout
        assert server.seen == {1, 2}
        again = run_cli("bounces", "--imap", url, cwd=workspace, **env)
        assert "read 0:" in again.stdout
        wrong = run_cli(
            "bounces", "--imap", url, cwd=workspace, **{**env, "REMINDERS_IMAP_PASSWORD": "nope"}
        )
        assert wrong.returncode == 1
        assert "imap-secret" not in wrong.stderr
        untrusted = run_cli(
            "bounces", "--imap", url, cwd=workspace, REMINDERS_IMAP_PASSWORD="imap-secret"
        )
        assert untrusted.returncode == 1  # a certificate nobody vouches for is refused
    assert "s***@example.org  bounced" in run_cli("suppressions", cwd=workspace).stdout
