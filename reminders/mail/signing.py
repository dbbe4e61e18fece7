"""DKIM, when the relay cannot sign for the domain: each message signed last, as it goes.

The key is read from the file ``$REMINDERS_DKIM_KEY_FILE`` names (never from
the settings file); signing uses dkimpy, relaxed/simple, and covers the
headers that identify the message and the one-click unsubscribe headers,
which Gmail wants signed. :func:`dns_records` says what to publish.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from reminders.errors import ReminderError

__all__ = ["KEY_ENV", "SIGNED_HEADERS", "Signer", "dns_records", "load_signer"]

KEY_ENV = "REMINDERS_DKIM_KEY_FILE"
SIGNED_HEADERS = (
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-language",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "auto-submitted",
)


class SigningError(ReminderError):
    """DKIM is asked for, but the key cannot be used."""


@dataclass(frozen=True, slots=True)
class Signer:
    """Signs messages for one domain with one selector's key."""

    selector: str
    domain: str
    key: bytes

    def sign(self, message: bytes) -> bytes:
        """The message with its DKIM-Signature header first."""
        import dkim

        signature = dkim.sign(
            message,
            self.selector.encode(),
            self.domain.encode(),
            self.key,
            canonicalize=(b"relaxed", b"simple"),
            include_headers=[name.encode() for name in SIGNED_HEADERS],
        )
        return bytes(signature) + message


def load_signer(selector: str, domain: str) -> Signer | None:
    """The signer the settings ask for (None without a selector); the key from the environment."""
    if not selector:
        return None
    path = os.environ.get(KEY_ENV)
    if not path:
        raise SigningError(f"[mail] dkim_selector is set: put the key file's path in ${KEY_ENV}")
    try:
        key = Path(path).read_bytes()
    except OSError as error:
        raise SigningError(f"${KEY_ENV}: cannot read the key: {error.strerror}") from None
    try:
        import dkim  # noqa: F401  (the extra that signs)
    except ImportError:
        raise SigningError("DKIM signing needs dkimpy: pip install 'reminders[dkim]'") from None
    return Signer(selector=selector, domain=domain, key=key)


def dns_records(signer: Signer, report_to: str) -> list[str]:
    """The TXT records to publish for the domain: DKIM from the key, SPF and DMARC to check."""
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(signer.key, password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = base64.b64encode(public).decode("ascii")
    return [
        f'{signer.selector}._domainkey.{signer.domain}. TXT "v=DKIM1; k=rsa; p={key}"',
        f'{signer.domain}. TXT "v=spf1 mx -all"  ; check: list every host that sends for it',
        f'_dmarc.{signer.domain}. TXT "v=DMARC1; p=none; rua=mailto:{report_to}"'
        "  ; check: p=quarantine once reports are clean",
    ]
