"""Signed, opaque tokens for links in emails, and the opaque ids they carry.

A token names one opaque id (an address id, or a pending sign-up's id, never
an address) and one purpose, and may carry an expiry. It is signed with
``itsdangerous`` (HMAC-SHA256, the purpose as salt), which also gives key
rotation: :class:`Secret` holds a list of keys, the first signs, every one
verifies, so a new key can be put first while links already sent under the
old one keep working until that key is removed.

Links sent before this module used itsdangerous carry tokens of the form
``id.expiry.mac``; they are still read (under every key), since an
unsubscribe link has no expiry and must keep working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from itsdangerous import BadData, Serializer, Signer, URLSafeSerializer
from itsdangerous.encoding import base64_encode

__all__ = [
    "InvalidToken",
    "Secret",
    "address_id",
    "make_token",
    "read_token",
    "sign",
    "stable_id",
]

_LONGEST = 300  # characters; a token is about 80


class InvalidToken(ValueError):
    """A token that is forged, altered, expired or for another purpose."""


@dataclass(frozen=True, slots=True)
class Secret:
    """The signing keys, newest first: the first signs, every one verifies."""

    keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a secret needs at least one key")

    @property
    def current(self) -> bytes:
        return self.keys[0]


def _mac(key: bytes, *parts: str, size: int = 16) -> str:
    digest = hmac.new(key, "\x00".join(parts).encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:size]).decode("ascii").rstrip("=")


def address_id(key: bytes, address: str) -> str:
    """An opaque, stable id of an address under one key, unguessable without it."""
    return _mac(key, "address", address.lower(), size=12)


def stable_id(secret: Secret, *parts: str) -> str:
    """An opaque id of any tuple of strings (Message-IDs are made from these)."""
    return _mac(secret.current, "id", *parts, size=15)


class _KeptKeys(Signer):
    """itsdangerous's signer, deriving each key once rather than for every signature."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[bytes | None, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        name = secret_key.encode() if isinstance(secret_key, str) else secret_key
        if name not in self._derived:
            self._derived[name] = super().derive_key(secret_key)
        return self._derived[name]


class _LinkSerializer(URLSafeSerializer):
    """itsdangerous's URL-safe serializer, made for thousands of short tokens a run.

    Its payload is an opaque id and an expiry, too short and too random for
    deflate to shorten: the attempt (a zlib stream set up per token, most of a
    token's cost) is skipped and the payload goes as plain base64, which
    ``loads`` reads as it reads a deflated one. One signer serves every token of
    a purpose, with its keys derived once. (Threads serving the web pages may
    fill these caches at once; each fills in the same value.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, signer=_KeptKeys, **kwargs)
        self._signers: dict[str | bytes | None, Signer] = {}

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        if salt not in self._signers:
            self._signers[salt] = super().make_signer(salt)
        return self._signers[salt]


@lru_cache(maxsize=64)  # a run signs thousands of links with a handful of these
def _serializer(secret: Secret, purpose: str) -> URLSafeSerializer:
    # itsdangerous signs with the last key of its list and verifies with any.
    keys = list(reversed(secret.keys))
    return _LinkSerializer(keys, salt=f"reminders-{purpose}")


def make_token(secret: Secret, address: str, purpose: str, expires: datetime | None = None) -> str:
    """Sign ``purpose`` for ``address``, optionally until ``expires``."""
    return sign(secret, address_id(secret.current, address), purpose, expires)


def sign(secret: Secret, ident: str, purpose: str, expires: datetime | None = None) -> str:
    """Sign ``purpose`` for an opaque id (an address id, or a pending sign-up's id)."""
    if not ident:
        raise ValueError("an id must be non-empty")
    expiry = int(expires.timestamp()) if expires else 0
    token = _serializer(secret, purpose).dumps([ident, expiry])
    assert isinstance(token, str)
    return token


def read_token(secret: Secret, token: str, purpose: str, now: datetime) -> str:
    """Check a token for ``purpose``; return the opaque id it names."""
    if not isinstance(token, str) or not token or len(token) > _LONGEST:
        raise InvalidToken("malformed token")
    # A legacy token starts with its id; itsdangerous marks a deflated payload with a dot.
    if token.count(".") == 2 and not token.startswith("."):
        ident, expiry = _read_legacy(secret, token, purpose)
    else:
        ident, expiry = _read_signed(secret, token, purpose)
    if expiry and expiry < now.astimezone(UTC).timestamp():
        raise InvalidToken("expired")
    return ident


def _read_signed(secret: Secret, token: str, purpose: str) -> tuple[str, int]:
    try:
        payload = _serializer(secret, purpose).loads(token)
    except BadData:
        raise InvalidToken("bad signature") from None
    match payload:
        case [str(ident), int(expiry)] if ident:
            return ident, expiry
    raise InvalidToken("malformed token")


def _read_legacy(secret: Secret, token: str, purpose: str) -> tuple[str, int]:
    """A token of the form ``id.expiry.mac``, as links sent before version 0.2 carry."""
    ident, expiry, signature = token.split(".")
    if not ident or not expiry.isdigit():
        raise InvalidToken("malformed token")
    for key in secret.keys:
        expected = _mac(key, "token", purpose, ident, expiry)
        if hmac.compare_digest(signature.encode(), expected.encode()):
            return ident, int(expiry)
    raise InvalidToken("bad signature")
