"""DKIM: a message signed by the tool verifies, with the one-click headers signed."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import run_cli, set_setting
from tests.support.mailsink import SinkServer


def key_file(folder: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return path


def published(home: Path, key: Path) -> dict[bytes, bytes]:
    """The TXT records `reminders dns` says to publish, as a DNS answer would give them."""
    result = run_cli("dns", cwd=home, REMINDERS_DKIM_KEY_FILE=str(key))
    assert result.returncode == 0, result.stderr
    records = {}
    for line in result.stdout.splitlines():
        name, value = re.match(r'^(\S+)\. TXT "([^"]*)"', line).groups()  # type: ignore[union-attr]
        records[name.encode() + b"."] = value.encode()
    return records


def test_a_signed_reminder_verifies_and_signs_the_one_click_headers(
    mail_workspace: Path, smtp: SinkServer, tmp_path: Path
) -> None:
    key = key_file(tmp_path)
    config = mail_workspace / "reminders.toml"
    config.write_text(
        config.read_text().replace("timeout = 5", 'timeout = 5\ndkim_selector = "rem2011"')
    )
    sent = run_cli(
        "send",
        "--now",
        "2011-02-23T09:05-05:00",
        cwd=mail_workspace,
        REMINDERS_DKIM_KEY_FILE=str(key),
    )
    assert sent.returncode == 0, sent.stderr
    records = published(mail_workspace, key)
    assert b"rem2011._domainkey.example.org." in records
    assert records[b"_dmarc.example.org."].startswith(b"v=DMARC1")
    for message in smtp.sink.received:
        assert dkim.verify(message.data, dnsfunc=lambda name, timeout=5: records.get(name))
        parsed = email.message_from_bytes(message.data, policy=email.policy.default)
        signed = str(parsed["DKIM-Signature"]).replace(" ", "").replace("\n", "")
        headers = re.search(r"h=([^;]+)", signed).group(1).lower().split(":")  # type: ignore[union-attr]
        assert {"from", "list-unsubscribe", "list-unsubscribe-post", "message-id"} <= set(headers)
    # An altered message no longer verifies.
    tampered = smtp.sink.received[0].data.replace(b"Worcester", b"Elsewhere", 1)
    assert not dkim.verify(tampered, dnsfunc=lambda name, timeout=5: records.get(name))


def test_check_names_a_missing_key(workspace: Path) -> None:
    set_setting(workspace, '[mail]\ndkim_selector = "rem2011"')
    result = run_cli("check", cwd=workspace)
    assert result.returncode == 1
    assert "REMINDERS_DKIM_KEY_FILE" in result.stderr
