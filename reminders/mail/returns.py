"""Return paths that say which delivery bounced, and reading what comes back to them.

Each message's envelope sender is ``bounces+<token>@<domain>`` (VERP): the
token is the message's own Message-ID (an HMAC of the delivery, opaque,
never the address) written in lower-case base32, so it survives servers
that fold the case of a local part; reversed, it names the delivery in the
ledger, and a forged one names none.

:func:`read_report` sorts a returned message: a complaint (an RFC 5965
feedback report), a permanent or temporary failure (flufl.bounce, Mailman's
own detectors, then RFC 3464 delivery-status parts read directly), or
nothing (an auto-reply, a human answer), and finds the deliveries it names.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.message
import re
from dataclasses import dataclass
from email.headerregistry import Address

__all__ = ["Report", "message_id_of", "read_report", "return_path"]

_TOKEN = re.compile(rb"\+([a-z2-7]{24})@", re.IGNORECASE)
_MESSAGE_ID = re.compile(rb"<([A-Za-z0-9_-]{20})@([A-Za-z0-9.-]+)>")
_STATUS = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")


def return_path(bounce: Address, message_id: str) -> str:
    """The envelope sender of the message sent as ``message_id``."""
    local_id = message_id.strip("<>").partition("@")[0]
    raw = base64.urlsafe_b64decode(local_id + "=" * (-len(local_id) % 4))
    token = base64.b32encode(raw).decode("ascii").rstrip("=").lower()
    return f"{bounce.username}+{token}@{bounce.domain}"


def message_id_of(token: str, domain: str) -> str | None:
    """The Message-ID a return-path token stands for, or None if it is not one."""
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    except (binascii.Error, ValueError):
        return None
    local = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    return f"<{local}@{domain}>"


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """What a returned message says: its kind, and the deliveries it names."""

    kind: str  # "hard", "soft", "complaint", or "none" (not a bounce)
    message_ids: frozenset[str]


def read_report(data: bytes, domain: str) -> Report:
    """Sort one returned message and find the deliveries it is about (Message-IDs)."""
    message = email.message_from_bytes(data)
    named = {message_id_of(t.decode(), domain) for t in _TOKEN.findall(data)}
    named |= {
        f"<{local.decode()}@{host.decode()}>"
        for local, host in _MESSAGE_ID.findall(data)
        if host.decode().lower() == domain.lower()
    }
    ids = frozenset(found for found in named if found)
    return Report(kind=_kind(message), message_ids=ids)


def _kind(message: email.message.Message) -> str:
    report_type = str(message.get_param("report-type") or "").lower()
    if message.get_content_type() == "multipart/report" and report_type == "feedback-report":
        return "complaint"
    if any(part.get_content_type() == "message/feedback-report" for part in message.walk()):
        return "complaint"
    from flufl.bounce import all_failures  # on first use: sending never reads a bounce

    temporary, permanent = all_failures(message)
    if permanent:
        return "hard"
    if temporary:
        return "soft"
    return _delivery_status(message)


def _delivery_status(message: email.message.Message) -> str:
    """RFC 3464: the Action and Status fields of each recipient's part."""
    found = "none"
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in part.get_payload() if part.is_multipart() else []:
            assert isinstance(block, email.message.Message)
            action = str(block.get("Action", "")).strip().lower()
            status = _STATUS.match(str(block.get("Status", "")))
            if action == "failed" or (status and status.group(1) == "5"):
                return "hard"
            if action == "delayed" or (status and status.group(1) == "4"):
                found = "soft"
    return found
