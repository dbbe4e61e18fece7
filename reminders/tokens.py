"""Signed, opaque tokens for links in emails, and the secret that signs them.

A token names one address (through an opaque id, never the address itself)
and one purpose; it cannot be altered, moved to another address or used for
another purpose, and it may carry an expiry. The secret comes from
``$REMINDERS_SECRET`` or, by default, a random one made once: a file beside
a SQLite state database (mode 0600), or a row of a PostgreSQL one, so that
every host of a shared deployment signs and checks links alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from reminders.errors import ReminderError
from reminders.store import open_state

__all__ = [
    "InvalidToken",
    "address_id",
    "load_secret",
    "make_token",
    "read_token",
    "sign",
    "stable_id",
]

SECRET_ENV = "REMINDERS_SECRET"
SECRET_FILE = "secret"


class InvalidToken(ValueError):
    """A token that is forged, altered, expired or for another purpose."""


def load_secret(state: Path | str) -> bytes:
    """Return the signing secret: from the environment, else the state store's own."""
    if env := os.environ.get(SECRET_ENV):
        if len(env) < 16:
            raise ReminderError(f"${SECRET_ENV} must be at least 16 characters long")
        return env.encode("utf-8")
    if isinstance(state, str):
        return _shared_secret(state)
    path = state.parent / SECRET_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def _shared_secret(url: str) -> bytes:
    db = open_state(url)
    try:
        db.execute(
            "INSERT INTO secret (name, value) VALUES ('links', ?) ON CONFLICT (name) DO NOTHING",
            (secrets.token_hex(32),),
        )
        return bytes.fromhex(
            db.execute("SELECT value FROM secret WHERE name = 'links'").fetchone()[0]
        )
    finally:
        db.close()


def _mac(secret: bytes, *parts: str, size: int = 16) -> str:
    digest = hmac.new(secret, "\x00".join(parts).encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:size]).decode("ascii").rstrip("=")


def address_id(secret: bytes, address: str) -> str:
    """An opaque, stable id of an address: the same for one secret, unguessable without it."""
    return _mac(secret, "address", address.lower(), size=12)


def stable_id(secret: bytes, *parts: str) -> str:
    """An opaque id of any tuple of strings (Message-IDs are made from these)."""
    return _mac(secret, "id", *parts, size=15)


def make_token(secret: bytes, address: str, purpose: str, expires: datetime | None = None) -> str:
    """Sign ``purpose`` for ``address``, optionally until ``expires``."""
    return sign(secret, address_id(secret, address), purpose, expires)


def sign(secret: bytes, ident: str, purpose: str, expires: datetime | None = None) -> str:
    """Sign ``purpose`` for an opaque id (an address id, or a pending sign-up's id)."""
    if not ident or "." in ident:
        raise ValueError("an id must be non-empty and have no dot")
    expiry = str(int(expires.timestamp())) if expires else "0"
    return f"{ident}.{expiry}.{_mac(secret, 'token', purpose, ident, expiry)}"


def read_token(secret: bytes, token: str, purpose: str, now: datetime) -> str:
    """Check a token for ``purpose``; return the address id it names."""
    parts = token.split(".") if isinstance(token, str) and len(token) < 200 else []
    if len(parts) != 3 or not parts[1].isdigit():
        raise InvalidToken("malformed token")
    ident, expiry, signature = parts
    expected = _mac(secret, "token", purpose, ident, expiry)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise InvalidToken("bad signature")
    if expiry != "0" and int(expiry) < now.astimezone(UTC).timestamp():
        raise InvalidToken("expired")
    return ident
