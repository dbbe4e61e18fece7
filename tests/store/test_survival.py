"""State that survives mistakes: a damaged, deleted or lost state database, and backups."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from reminders.cli import work
from reminders.mail.handover import Envelope, at_once, none_next
from reminders.mail.transports import open_transport
from reminders.sending import load_inputs, prepare, send_due
from reminders.store import open_state
from reminders.store.base import StateError
from tests.conftest import NEW_YORK, run_cli
from tests.support.mailsink import SinkServer
from tests.support.runs import settings_of

FIRST = "2011-02-23T09:05-05:00"
LATER = "2011-02-23T11:05-05:00"


def state_files(home: Path) -> list[Path]:
    return sorted((home / "var").glob("state.db*"))


def build_and_send(home: Path) -> None:
    assert run_cli("build", "--now", "2011-02-15T12:00-05:00", cwd=home).returncode == 0
    first = run_cli("send", "--now", FIRST, cwd=home)
    assert first.returncode == 0, first.stderr
    assert "sent 4 of 4 due" in first.stdout


def test_a_damaged_state_database_is_a_clear_error(mail_workspace: Path, smtp: SinkServer) -> None:
    build_and_send(mail_workspace)
    for path in state_files(mail_workspace):
        path.unlink()
    (mail_workspace / "var" / "state.db").write_bytes(b"this is no database " * 500)
    result = run_cli("send", "--now", LATER, cwd=mail_workspace)
    assert result.returncode == 1
    assert "state.db: the state database cannot be read" in result.stderr
    assert "restore it from a backup" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(smtp.sink.received) == 4


def test_a_lost_state_database_cannot_resend_the_season(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    build_and_send(mail_workspace)
    for path in state_files(mail_workspace):
        path.unlink()
    refused = run_cli("send", "--now", LATER, cwd=mail_workspace)
    assert refused.returncode == 1
    assert "new, empty state database" in refused.stderr
    assert "--fresh-state" in refused.stderr
    assert len(smtp.sink.received) == 4  # nobody mailed twice
    daemon = run_cli("run", cwd=mail_workspace)
    assert daemon.returncode == 1
    assert "new, empty state database" in daemon.stderr
    fresh = run_cli("send", "--now", LATER, "--fresh-state", cwd=mail_workspace)
    assert fresh.returncode == 0, fresh.stderr
    assert len(smtp.sink.received) == 8  # the operator chose to start anew


def test_a_state_database_deleted_mid_run_stops_the_run(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    assert run_cli("build", "--now", "2011-02-15T12:00-05:00", cwd=mail_workspace).returncode == 0
    settings = settings_of(mail_workspace)
    inputs = load_inputs(settings)
    moment = datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK)
    outbox = open_transport(settings.mail.transport, settings.root, timeout=5)

    class DeletingTransport:
        def send(
            self,
            sender: str,
            recipient: str,
            message: bytes,
            ready: Callable[[], None] = at_once,
            following: Callable[[], Envelope | None] = none_next,
        ) -> None:
            outbox.send(sender, recipient, message, ready, following)
            for path in state_files(mail_workspace):
                path.unlink()

        def close(self) -> None:
            outbox.close()

    with open_state(settings.state) as db:
        revisions = prepare(db, settings, inputs.series, moment)
        report = send_due(db, settings, inputs, revisions, moment, transport=DeletingTransport())
    assert isinstance(report.error, StateError)
    assert "deleted or replaced while in use" in str(report.error)
    assert len(smtp.sink.received) == 1


def test_backup_and_restore_send_nothing_twice(
    mail_workspace: Path, smtp: SinkServer, tmp_path: Path
) -> None:
    build_and_send(mail_workspace)
    copy = tmp_path / "backup.db"
    backed = run_cli("backup", str(copy), cwd=mail_workspace)
    assert backed.returncode == 0, backed.stderr
    assert copy.stat().st_mode & 0o777 == 0o600
    assert run_cli("backup", str(copy), cwd=mail_workspace).returncode == 1  # never overwrites
    for path in state_files(mail_workspace):
        path.unlink()
    shutil.copy(copy, mail_workspace / "var" / "state.db")
    again = run_cli("send", "--now", LATER, cwd=mail_workspace)
    assert again.returncode == 0, again.stderr
    assert "sent 0 of 0 due" in again.stdout
    assert len(smtp.sink.received) == 4


def test_work_send_honours_fresh_state(mail_workspace: Path, smtp: SinkServer) -> None:
    build_and_send(mail_workspace)
    for path in state_files(mail_workspace):
        path.unlink()
    settings = settings_of(mail_workspace)
    moment = datetime(2011, 2, 23, 11, 5, tzinfo=NEW_YORK)
    try:
        work.send(settings, moment)
    except StateError as error:
        assert "new, empty state database" in str(error)
    else:
        raise AssertionError("a lost ledger was not noticed")
    assert work.send(settings, moment, fresh_state=True).sent == 4
