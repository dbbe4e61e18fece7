"""A real Postfix in the loop: signed mail out through it, its bounces back to the tool.

Postfix runs deploy/postfix/main.cf with its paths and ports moved to a test
folder and the smarthost replaced by an aiosmtpd server on another loopback
port, standing in for the recipients' servers: it accepts some addresses,
refuses one with 550 after DATA and defers one with 451. Postfix's own DSN
for the refused address comes back through the pipe transport to
bounces+<token>@; in production that pipe runs `reminders bounce` as the
service user (deploy/postfix/master.cf.add). Here the tool lives where a
non-root pipe user cannot run it, so the pipe drops each bounce into a
Maildir that `reminders bounces` reads: the same reader and the same policy.
"""

from __future__ import annotations

import os
import re
import shutil
import smtplib
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import dkim
import pytest

from tests.conftest import ROOT, edit_meetings, run_cli
from tests.mail.test_signing import key_file, published
from tests.support.mailsink import SinkServer, free_port

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(POSTFIX).exists() or os.getuid() != 0,
        reason="POSTFIX IS NOT INSTALLED (or not root): the mail loop is untested here "
        "(.ci/run installs it)",
    ),
]
DEAD, LATER = "dead@example.com", "later@example.com"
READY = ("ok1@example.com", "ok2@example.com")


def wait_for(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)


@pytest.fixture
def relay() -> Iterator[tuple[int, SinkServer, Path]]:
    """Postfix on a free loopback port, relaying to the stand-in servers; its bounce mailbox."""
    home = Path(tempfile.mkdtemp(prefix="reminders-postfix-"))
    home.chmod(0o755)
    for name in ("conf", "queue", "data"):
        (home / name).mkdir()
    shutil.chown(home / "data", "postfix")
    bounces = home / "bounces"
    for sub in ("new", "cur", "tmp"):
        (bounces / sub).mkdir(parents=True)
        (bounces / sub).chmod(0o1777)
    deliver = home / "deliver"
    deliver.write_text(
        f'#!/bin/sh\nf="{bounces}/tmp/$$.$(date +%s%N)"\ncat > "$f" && mv "$f" {bounces}/new/\n'
    )
    deliver.chmod(0o755)
    with SinkServer() as servers:
        servers.sink.faults.data_for[DEAD] = "550 5.1.1 <dead@example.com>: no such user"
        servers.sink.faults.rcpt_replies[LATER] = "451 4.7.1 greylisted, try later"
        port = free_port()
        main = (ROOT / "deploy" / "postfix" / "main.cf").read_text()
        for old, new in (
            ("relayhost = [smtp.example.net]:587", f"relayhost = [127.0.0.1]:{servers.port}"),
            ("smtp_tls_security_level = encrypt", "smtp_tls_security_level = none"),
            ("smtp_sasl_auth_enable = yes", "smtp_sasl_auth_enable = no"),
            (
                "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd",
                "smtp_sasl_password_maps =",
            ),
            ("inet_interfaces = loopback-only", "inet_interfaces = 127.0.0.1"),
            (
                "transport_maps = regexp:/etc/postfix/reminders_transport",
                f"transport_maps = regexp:{home}/conf/reminders_transport",
            ),
        ):
            assert old in main, old
            main = main.replace(old, new)
        main += (
            f"\nqueue_directory = {home}/queue\ndata_directory = {home}/data\n"
            f"maillog_file = {home}/maillog\nmaillog_file_prefixes = {home}\n"
            "inet_protocols = ipv4\nsmtp_host_lookup = native\ndisable_dns_lookups = yes\n"
            "alias_maps =\nalias_database =\nshlib_directory = /usr/lib/postfix\n"
            "queue_run_delay = 1s\nminimal_backoff_time = 1s\nmaximal_backoff_time = 2s\n"
        )
        (home / "conf" / "main.cf").write_text(main)
        shutil.copy(ROOT / "deploy" / "postfix" / "reminders_transport", home / "conf")
        master = Path("/etc/postfix/master.cf").read_text()
        master = re.sub(r"(?m)^smtp\s+inet\s.*$", f"127.0.0.1:{port} inet n - n - - smtpd", master)
        pipe = (ROOT / "deploy" / "postfix" / "master.cf.add").read_text()
        pipe = re.sub(r"user=\S+ argv=.*", f"user=nobody argv={deliver}", pipe)
        (home / "conf" / "master.cf").write_text(master + "\n" + pipe)
        postfix = [POSTFIX, "-c", str(home / "conf")]
        started = subprocess.run([*postfix, "start"], capture_output=True, text=True)
        assert started.returncode == 0, (home / "maillog").read_text(errors="replace")
        try:
            yield port, servers, bounces
        finally:
            subprocess.run([*postfix, "stop"], capture_output=True)
            shutil.rmtree(home, ignore_errors=True)


def test_mail_goes_out_signed_and_a_refused_address_comes_back_and_is_dropped(
    workspace: Path, relay: tuple[int, SinkServer, Path], tmp_path: Path
) -> None:
    port, servers, bounces = relay
    people = [*READY, DEAD, LATER]
    (workspace / "data" / "subscribers.example.csv").write_text(
        "email,name,language,cities\n" + "".join(f"{a},,en,Worcester\n" for a in people)
    )
    key = key_file(tmp_path)
    config = workspace / "reminders.toml"
    config.write_text(
        config.read_text()
        + f'\n[mail]\ntransport = "smtp://127.0.0.1:{port}?starttls=off"\ntimeout = 10\n'
        'dkim_selector = "loop"\n'
    )
    env = {"REMINDERS_DKIM_KEY_FILE": str(key)}
    sent = run_cli("send", "--now", "2011-02-23T09:05-05:00", cwd=workspace, **env)
    assert sent.returncode == 0, sent.stderr
    assert "sent 4 of 4 due" in sent.stdout  # Postfix took them all
    wait_for(lambda: {r for m in servers.sink.received for r in m.recipients} >= set(READY))
    records = published(workspace, key)
    for message in servers.sink.received:
        assert dkim.verify(message.data, dnsfunc=lambda name, timeout=5: records.get(name))
    # Postfix's own DSN for the refused address comes back through the pipe.
    wait_for(lambda: any((bounces / "new").iterdir()))
    read = run_cli("bounces", "--maildir", str(bounces), cwd=workspace)
    assert read.returncode == 0, read.stderr
    assert "1 hard" in read.stdout
    listing = run_cli("suppressions", cwd=workspace).stdout
    assert "d***@example.com  bounced" in listing
    assert "l***@example.com" not in listing  # deferred: Postfix is still trying
    # A change notice goes to everyone told but the suppressed address.
    edit_meetings(workspace, 'start = "14:00"', 'start = "14:30"')
    again = run_cli("send", "--now", "2011-02-24T09:05-05:00", cwd=workspace, **env)
    assert again.returncode == 0, again.stderr
    assert "sent 3 of 3 due" in again.stdout
    log = (bounces.parent / "maillog").read_text(errors="replace")
    assert f"to=<{LATER}>" in log
    assert "status=deferred" in log  # Postfix keeps trying the greylisted one
    # Postfix offers PIPELINING, so the envelopes went pipelined, and it found no fault.
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("pipelining")
    assert "improper command pipelining" not in log
