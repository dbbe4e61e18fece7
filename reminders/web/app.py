"""The web application factory: settings in, a Flask app (served by waitress) out.

Flask routes requests; waitress serves them (see the README for why). What
the views share lives in one :class:`Site` kept in ``app.extensions``; each
request opens the state store at most once, on first use
(:func:`store`), and closes it when the request ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g
from jinja2 import Environment

from reminders.inputs.meetings import Series
from reminders.inputs.meetings_file import load_series
from reminders.inputs.subscribers import Subscriber, load_subscribers
from reminders.publish.site import page_environments
from reminders.settings import Settings
from reminders.store import open_state
from reminders.store.base import Database
from reminders.store.secret import load_secret
from reminders.store.signups import find_person, index_people, web_person, web_subscribers
from reminders.tokens import Secret, address_id
from reminders.web.guards import Csrf, RateLimit
from reminders.web.mailer import Mailer

__all__ = ["SECURITY_HEADERS", "Site", "create_app", "make_server", "site", "store"]

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    # Nothing to other sites; our own forms keep a real Origin (no-referrer sends "null").
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class Site:
    """What every view needs: settings, keys, page environments, guards, the mailer."""

    def __init__(
        self, settings: Settings, secret: Secret, clock: Callable[[], datetime], signups: int
    ) -> None:
        self.settings, self.secret, self.clock = settings, secret, clock
        self.envs: dict[str, Environment] = page_environments(
            settings.templates, settings.locale, settings.allow_drafts
        )
        self.base_path = urlsplit(settings.base_url).path or "/"
        self.limiter = RateLimit(signups, 600)
        self.answers_limit = RateLimit(signups * 2, 600)  # answers from the landing page
        self.csrf = Csrf(secret, settings.base_url)
        self.lock = threading.Lock()
        self.cached: tuple[tuple[float, ...], Series, tuple[Subscriber, ...]] | None = None
        self.index: dict[str, Subscriber] = {}  # the CSV's people by their links' opaque ids
        self.mailer = Mailer(settings, self.series, secret, clock)

    def _load(self) -> tuple[Series, tuple[Subscriber, ...]]:
        """The meetings and subscribers files, re-read when they change."""
        paths = (self.settings.meetings, self.settings.subscribers)
        stamps = tuple(_mtime(path) for path in paths)
        with self.lock:
            if self.cached is None or self.cached[0] != stamps:
                series = load_series(self.settings.meetings)
                people = load_subscribers(
                    self.settings.subscribers, series.cities, self.settings.sms.region
                )
                self.cached = (stamps, series, people)
                self.index = {
                    address_id(key, person.email): person
                    for key in self.secret.keys
                    for person in people
                }
            return self.cached[1], self.cached[2]

    def series(self) -> Series:
        return self._load()[0]

    def person(self, db: Database, ident: str) -> Subscriber | None:
        """The subscriber a token's opaque id names, from the web sign-ups or the CSV.

        Both are looked up by the id (an index, a dictionary); only a link signed
        under a key rotated away from, for a web subscriber, falls back to a scan.
        """
        found = web_person(db, ident)
        if found is None and len(self.secret.keys) > 1:
            found = find_person(self.secret, ident, web_subscribers(db))
        if found is not None:
            return found  # a web row overrides the CSV row of the same address
        self._load()  # the index follows the CSV file
        return self.index.get(ident)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def site() -> Site:
    """The running application's :class:`Site`."""
    return cast(Site, current_app.extensions["reminders"])


def store() -> Database:
    """This request's state store, opened on first use and closed when the request ends."""
    if "db" not in g:
        g.db = open_state(site().settings.state)
    return cast(Database, g.db)


def _close_store(error: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.content_type.startswith("text/html") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def create_app(
    settings: Settings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    signups_per_client: int = 5,
) -> Flask:
    """The web application for ``settings``."""
    from reminders.web.answers import answers
    from reminders.web.texts import texts
    from reminders.web.views import views

    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024
    with open_state(settings.state) as db:
        secret = load_secret(db)
        index_people(secret.current, db)
    app.extensions["reminders"] = Site(settings, secret, clock, signups_per_client)
    app.after_request(_security_headers)
    app.teardown_appcontext(_close_store)
    app.register_blueprint(answers)
    app.register_blueprint(texts)
    app.register_blueprint(views)
    return app


# The proxy that may speak for clients: nginx on this host, as deploy/nginx.conf has it.
PROXY_ADDRESS = "127.0.0.1"


def make_server(
    settings: Settings, host: str, port: int, clock: Callable[[], datetime] | None = None
) -> Any:
    """Create (not start) the waitress server for the application.

    With ``[web] trusted_proxies`` set, waitress itself takes the client's
    address from the X-Forwarded-For that the proxy on 127.0.0.1 sets (and
    drops proxy headers from anyone else), so the sign-up limit counts real
    clients; without it, a request's address is its peer's.
    """
    from waitress.server import create_server

    proxies: dict[str, Any] = {}
    if count := settings.trusted_proxies:
        proxies = {
            "trusted_proxy": PROXY_ADDRESS,
            "trusted_proxy_count": count,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
            "clear_untrusted_proxy_headers": True,
        }
    else:
        log.info("serving without a proxy in front: put nginx before it (deploy/nginx.conf)")
    app = create_app(settings, clock) if clock else create_app(settings)
    return create_server(app, host=host, port=port, threads=8, ident="reminders", **proxies)
