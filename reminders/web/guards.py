"""What stands between a form and the store: CSRF tokens and the sign-up rate limit.

A form's CSRF token is an HMAC, under the link-signing key, of a random
value kept in a SameSite=Strict cookie; a POST must carry the token that
matches its cookie. The one-click unsubscribe is exempt, as RFC 8058
requires: its signed token is the authority.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from flask import Request, Response

from reminders.tokens import Secret

__all__ = ["CSRF_COOKIE", "Csrf", "RateLimit"]

CSRF_COOKIE = "csrf"


class Csrf:
    """Issues and checks the token pair (cookie, form field) of the site's forms."""

    def __init__(self, secret: Secret, secure: bool) -> None:
        self.key, self.secure = secret.current, secure

    def _token(self, cookie: str) -> str:
        return hmac.new(self.key, f"csrf\x00{cookie}".encode(), hashlib.sha256).hexdigest()

    def issue(self, request: Request) -> tuple[str, str]:
        """The cookie value to set (kept if present) and the form token that matches it."""
        cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        return cookie, self._token(cookie)

    def set_cookie(self, response: Response, cookie: str) -> Response:
        response.set_cookie(
            CSRF_COOKIE, cookie, httponly=True, samesite="Strict", secure=self.secure, path="/"
        )
        return response

    def passes(self, request: Request) -> bool:
        """Whether the POST carries the token that matches its cookie."""
        cookie = request.cookies.get(CSRF_COOKIE)
        if not cookie:
            return False
        given = request.form.get("csrf", "").encode("utf-8", "replace")
        return hmac.compare_digest(self._token(cookie).encode("ascii"), given)


class RateLimit:
    """At most ``limit`` events per client in any ``per`` seconds."""

    def __init__(self, limit: int, per: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.per, self.clock = limit, per, clock
        self.seen: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = self.clock()
        with self.lock:
            times = self.seen.setdefault(client, deque())
            while times and times[0] <= now - self.per:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True
