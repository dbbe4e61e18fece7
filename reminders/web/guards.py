"""What stands between a form and the store: CSRF tokens, origins, the sign-up rate limit.

CSRF: the cookie holds a random value the server made and signed (a value a
client picks is never accepted); each form carries a token that binds that
value to the form's purpose and the time it was issued, signed by the
server, good for :data:`CSRF_FOR`. A POST must also come from this site
when the browser says where it comes from (``Origin``, else ``Referer``).
The one-click unsubscribe is exempt from both, as RFC 8058 requires: its
signed token is the authority.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Request, Response
from itsdangerous import BadData, URLSafeTimedSerializer

from reminders.tokens import Secret

__all__ = ["CSRF_COOKIE", "CSRF_FOR", "Csrf", "RateLimit", "same_origin"]

CSRF_COOKIE = "csrf"
CSRF_FOR = timedelta(hours=4)
_LOCAL = ("localhost", "127.0.0.1", "::1")


class Csrf:
    """Issues and checks the pairs (cookie, form token) of the site's forms."""

    def __init__(self, secret: Secret, base_url: str) -> None:
        keys = list(reversed(secret.keys))  # itsdangerous signs with the last
        self.cookies = URLSafeTimedSerializer(keys, salt="reminders-csrf-cookie")
        self.tokens = URLSafeTimedSerializer(keys, salt="reminders-csrf-form")
        parts = urlsplit(base_url)
        # Secure everywhere but plain http on this machine, where browsers would drop it.
        self.secure = not (parts.scheme == "http" and parts.hostname in _LOCAL)

    def _nonce(self, request: Request) -> str | None:
        """The server's random value in the request's cookie, if the server made it."""
        try:
            value = self.cookies.loads(request.cookies.get(CSRF_COOKIE, ""))
        except BadData:
            return None
        return value if isinstance(value, str) else None

    def issue(self, request: Request, purpose: str) -> tuple[str, str]:
        """The cookie to set (the same one if it is still good) and a token for one form."""
        nonce = self._nonce(request) or secrets.token_urlsafe(18)
        cookie = str(self.cookies.dumps(nonce))
        return cookie, str(self.tokens.dumps([nonce, purpose]))

    def set_cookie(self, response: Response, cookie: str) -> Response:
        response.set_cookie(
            CSRF_COOKIE, cookie, httponly=True, samesite="Strict", secure=self.secure, path="/"
        )
        return response

    def passes(self, request: Request, purpose: str) -> bool:
        """Whether the POST carries a fresh token for this form that matches its cookie."""
        nonce = self._nonce(request)
        if nonce is None:
            return False
        try:
            given = self.tokens.loads(
                request.form.get("csrf", ""), max_age=int(CSRF_FOR.total_seconds())
            )
        except BadData:
            return False
        return bool(given == [nonce, purpose])


def same_origin(request: Request, allowed: Iterable[str]) -> bool:
    """Whether a POST comes from one of ``allowed`` origins, as far as the browser says.

    A browser sends ``Origin`` with a form's POST (else a ``Referer``); a client
    that sends neither is judged by its CSRF token alone.
    """
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if not claimed:
        return True
    parts = urlsplit(claimed)
    return f"{parts.scheme}://{parts.netloc}".lower() in {o.lower() for o in allowed}


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
