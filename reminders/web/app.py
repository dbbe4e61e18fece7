"""The web application: the public folder, signing up, and leaving.

Flask routes requests; waitress serves them (see the README for why). The
public folder is served with the headers calendar apps rely on: strong
ETags from the bytes, ``304 Not Modified``, and 404 for any path that leaves
the folder. The dynamic pages (sign-up with double opt-in, confirmation,
one-click unsubscribe per RFC 8058, preferences) never reveal whether an
address is on the list: the same page, status and work for every address.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import mimetypes
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, Response, request
from jinja2 import Environment
from werkzeug.middleware.proxy_fix import ProxyFix

from reminders.errors import DataError
from reminders.i18n.languages import LANGUAGES, choose
from reminders.inputs.meetings import Series, load_series, one_line
from reminders.inputs.subscribers import Subscriber, load_subscribers, parse_address
from reminders.mail.compose import Templates, compose_confirmation
from reminders.mail.transports import TransportError, open_transport
from reminders.publish.pages import landing_page, language_switch
from reminders.publish.site import feed_options, page_environments
from reminders.sending import identity
from reminders.settings import Settings
from reminders.store import open_state
from reminders.store.signups import (
    CONFIRM_FOR,
    confirm,
    find_person,
    leave,
    merge,
    save_preferences,
    start_signup,
    web_subscribers,
)
from reminders.tokens import InvalidToken, load_secret, read_token, sign

__all__ = ["SECURITY_HEADERS", "RateLimit", "create_app", "resolve"]

log = logging.getLogger("reminders.web.app")

CONTENT_TYPES = {
    ".ics": "text/calendar; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
CACHE_CONTROL = "public, max-age=300"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
CSRF_COOKIE = "csrf"


def resolve(folder: Path, raw: str) -> Path | None:
    """Map a URL path to a regular, visible file inside ``folder``, or None."""
    parts = [part for part in raw.split("/") if part]
    if any(part in ("..", ".") or "\\" in part or "\x00" in part for part in parts):
        return None
    root = folder.resolve()
    candidate = root.joinpath(*parts).resolve() if parts else root
    if candidate.is_dir():
        candidate = candidate / "index.html"
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    if any(part.startswith(".") for part in candidate.relative_to(root).parts):
        return None  # temporary files of an atomic write, and hidden files
    return candidate


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


@dataclass(frozen=True, slots=True)
class _Confirmation:
    person: Subscriber
    signup_id: str
    url: str


class _Mailer:
    """Sends confirmation emails from a background thread.

    The request never waits on the mail server, so its timing says nothing
    about the address.
    """

    def __init__(self, settings: Settings, series: Callable[[], Series], secret: bytes) -> None:
        self.settings, self.series, self.secret = settings, series, secret
        self.jobs: queue.Queue[_Confirmation] = queue.Queue()
        threading.Thread(target=self._work, name="confirmations", daemon=True).start()

    def send(self, job: _Confirmation) -> None:
        self.jobs.put(job)

    def _work(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                self._deliver(job)
            except (TransportError, DataError, OSError) as error:
                log.error("confirmation email not sent: %s", error)

    def _deliver(self, job: _Confirmation) -> None:
        series = self.series()
        me = identity(self.settings, series, self.secret)
        context = {
            "name": job.person.name,
            "confirm_url": job.url,
            "cities": sorted(job.person.cities),
            "series": {"name": series.name},
            "expires_hours": int(CONFIRM_FOR.total_seconds() // 3600),
        }
        locales = self.settings.path("locale")
        templates = Templates(self.settings.templates, locales)
        wanted = choose(job.person.languages, locales, self.settings["languages.allow_drafts"])
        letter = templates.render("confirm", context, wanted[0])
        message = compose_confirmation(
            letter,
            identity=me,
            subscriber=job.person,
            signup_id=job.signup_id,
            now=datetime.now(UTC),
        )
        transport = open_transport(
            self.settings["mail.transport"],
            self.settings.root,
            timeout=self.settings["mail.timeout"],
            helo=series.domain,
        )
        try:
            transport.send(me.sender.addr_spec, job.person.email, message.as_bytes())
        finally:
            transport.close()


def create_app(
    settings: Settings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    signups_per_client: int = 5,
) -> Flask:
    """The web application for ``settings``."""
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024
    if proxies := settings["web.trusted_proxies"]:
        # Behind nginx every request comes from 127.0.0.1: trust its X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    secret = load_secret(settings.state)
    envs = page_environments(settings)

    def current() -> Environment:
        """The page environment of the language asked for by link, then by the browser."""
        wanted = request.args.get("lang", "")
        if wanted not in envs:
            wanted = request.accept_languages.best_match(list(envs)) or "en"
        return envs[wanted]

    def switch(path: str) -> list[tuple[str, str, str]]:
        return language_switch(list(envs), lambda tag: f"{base_path}{path}?lang={tag}")

    base_path = urlsplit(settings.base_url).path or "/"
    limiter = RateLimit(signups_per_client, 600)
    site = _Site(settings)
    mailer = _Mailer(settings, site.series, secret)

    def page(status: int = 200, **context: Any) -> Response:
        env = current()
        translate: Callable[[str], str] = env.globals["translate"]  # type: ignore[assignment]
        context["paragraphs"] = [translate(p) for p in context.get("paragraphs", [])]
        for key in ("title", "button"):
            if key in context:
                context[key] = translate(context[key])
        context.setdefault("form", None)
        html = env.get_template("page.html.j2").render(
            series=site.series(), base_path=base_path, **context
        )
        return Response(html, status=status, content_type="text/html; charset=utf-8")

    def leave_page(ident: str) -> Response:
        """Unsubscribe the address behind ``ident`` (if any) and say so, the same either way."""
        _leave(settings, secret, site, ident, clock())
        return page(
            title=N_("You will get no more emails"),
            paragraphs=[N_("You are off the list. To come back, sign up again.")],
        )

    def invalid_link() -> Response:
        return page(
            400,
            title=N_("This link does not work"),
            paragraphs=[
                N_(
                    "It may be incomplete, altered, or too old. Nothing was "
                    "changed. You can ask for a new link from the last email we "
                    "sent you, or sign up again."
                )
            ],
        )

    def csrf_value() -> tuple[str, str]:
        cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        return cookie, hmac.new(secret, f"csrf\x00{cookie}".encode(), hashlib.sha256).hexdigest()

    def with_csrf(response: Response, cookie: str) -> Response:
        response.set_cookie(
            CSRF_COOKIE,
            cookie,
            httponly=True,
            samesite="Strict",
            secure=settings.base_url.startswith("https:"),
            path="/",
        )
        return response

    def csrf_ok() -> bool:
        cookie = request.cookies.get(CSRF_COOKIE)
        if not cookie:
            return False
        expected = hmac.new(secret, f"csrf\x00{cookie}".encode(), hashlib.sha256).hexdigest()
        given = request.form.get("csrf", "").encode("utf-8", "replace")
        return hmac.compare_digest(expected.encode("ascii"), given)

    def signup_context(csrf: str) -> dict[str, Any]:
        return {"csrf": csrf, "languages": LANGUAGES, "language": "en"}

    @app.after_request
    def headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if (
            response.content_type.startswith("text/html")
            and "Cache-Control" not in response.headers
        ):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/")
    def home() -> Response:
        cookie, csrf = csrf_value()
        html = landing_page(
            current(),
            site.series(),
            feed_options(settings),
            signup=signup_context(csrf),
            base_path=base_path,
            switch=switch(""),
        )
        return with_csrf(Response(html, content_type="text/html; charset=utf-8"), cookie)

    @app.get("/subscribe")
    def subscribe_form() -> Response:
        cookie, csrf = csrf_value()
        return with_csrf(
            page(title=N_("Get email reminders"), form="signup", signup=signup_context(csrf)),
            cookie,
        )

    @app.post("/subscribe")
    def subscribe() -> Response:
        if not csrf_ok():
            return page(
                403,
                title=N_("Please try again"),
                paragraphs=[
                    N_(
                        "The form was too old or came from elsewhere. "
                        "Open the sign-up page and send it again."
                    )
                ],
            )
        client = request.remote_addr or "unknown"
        if not limiter.allow(client):
            return page(
                429,
                title=N_("Too many sign-ups"),
                paragraphs=[N_("Please wait a few minutes and try again.")],
            )
        person, problem = _person_from_form(request.form, site.series())
        if person is None:
            cookie, csrf = csrf_value()
            return with_csrf(
                page(
                    400,
                    title=N_("Please check the form"),
                    paragraphs=[problem],
                    form="signup",
                    signup=signup_context(csrf),
                ),
                cookie,
            )
        now = clock()
        connection = open_state(settings.state)
        try:
            signup = start_signup(connection, person, now)
        finally:
            connection.close()
        if signup.send:
            token = sign(secret, signup.id, "confirm", signup.expires)
            url = f"{settings.base_url}confirm?token={quote(token)}"
            mailer.send(_Confirmation(person=person, signup_id=signup.id, url=url))
        return page(
            title=N_("Check your email"),
            paragraphs=[
                N_(
                    "If the address is right, a confirmation email is on its way. "
                    "Open the link in it to start getting reminders. Until then, "
                    "nothing is sent."
                )
            ],
        )

    @app.get("/confirm")
    def confirm_form() -> Response:
        if _read(secret, "confirm", clock()) is None:
            return invalid_link()
        return page(
            title=N_("Confirm your sign-up"),
            form="confirm",
            button=N_("Yes, send me reminders"),
            action=request.full_path,
        )

    @app.post("/confirm")
    def confirm_post() -> Response:
        ident = _read(secret, "confirm", clock())
        if ident is None:
            return invalid_link()
        connection = open_state(settings.state)
        try:
            person = confirm(connection, ident, clock())
        finally:
            connection.close()
        if person is None:
            return invalid_link()
        return page(
            title=N_("You are signed up"),
            paragraphs=[
                N_(
                    "You will get a reminder a few days before each meeting. "
                    "Every email has a link to stop them."
                )
            ],
        )

    @app.get("/unsubscribe")
    def unsubscribe_form() -> Response:
        if _read(secret, "unsubscribe", clock()) is None:
            return invalid_link()
        return page(
            title=N_("Stop the reminder emails?"),
            form="unsubscribe",
            button=N_("Stop all emails"),
            action=request.full_path,
        )

    @app.post("/unsubscribe")
    def unsubscribe() -> Response:
        # RFC 8058: the mail provider POSTs List-Unsubscribe=One-Click without cookies;
        # the signed token is the authority, so no CSRF token is asked for here.
        ident = _read(secret, "unsubscribe", clock())
        if ident is None:
            return invalid_link()
        return leave_page(ident)

    @app.get("/preferences")
    def preferences_form() -> Response:
        ident = _read(secret, "preferences", clock())
        if ident is None:
            return invalid_link()
        person = site.person(secret, ident) or Subscriber(email="unknown@example.org")
        cookie, csrf = csrf_value()
        return with_csrf(
            page(
                title=N_("Your reminders"),
                form="preferences",
                person=person,
                languages=LANGUAGES,
                csrf=csrf,
                action=request.full_path,
            ),
            cookie,
        )

    @app.post("/preferences")
    def preferences() -> Response:
        ident = _read(secret, "preferences", clock())
        if ident is None:
            return invalid_link()
        if not csrf_ok():
            return page(
                403,
                title=N_("Please try again"),
                paragraphs=[N_("The form was too old. Open the link again.")],
            )
        if request.form.get("action") == "leave":
            return leave_page(ident)
        person = site.person(secret, ident)
        language = request.form.get("language", "en")
        cities = set(request.form.getlist("cities"))
        if language not in LANGUAGES or not cities <= set(site.series().cities):
            return page(400, title=N_("Please check the form"), paragraphs=[N_("Unknown choice.")])
        if person is not None:
            connection = open_state(settings.state)
            try:
                save_preferences(
                    connection,
                    replace(person, language=language, cities=frozenset(cities)),
                    clock(),
                )
            finally:
                connection.close()
        return page(title=N_("Saved"), paragraphs=[N_("Your choices are saved.")])

    @app.route("/<path:name>", methods=["GET", "HEAD"])
    def public(name: str) -> Response:
        return _static(settings.public, name)

    return app


def N_(text: str) -> str:
    """Mark a string for the catalogs; the page translates it when it renders."""
    return text


def _read(secret: bytes, purpose: str, now: datetime) -> str | None:
    try:
        return read_token(secret, request.args.get("token", ""), purpose, now)
    except InvalidToken:
        return None


def _leave(settings: Settings, secret: bytes, site: _Site, ident: str, now: datetime) -> None:
    # The same work whether or not the address is known: look it up, then act.
    person = site.person(secret, ident)
    if person is None:
        return
    connection = open_state(settings.state)
    try:
        leave(connection, person.email, now)
    finally:
        connection.close()
    log.info("unsubscribed one address")


def _person_from_form(form: Mapping[str, Any], series: Series) -> tuple[Subscriber | None, str]:
    try:
        email = parse_address(str(form.get("email", "")))
    except ValueError:
        return None, N_("Please enter a valid email address.")
    name = one_line(str(form.get("name", "")))[:100]
    language = str(form.get("language", "en"))
    cities = set(form.getlist("cities")) if hasattr(form, "getlist") else set()
    if language not in LANGUAGES or not cities <= set(series.cities):
        return None, N_("Please choose a language and cities from the lists.")
    return Subscriber(email=email, name=name, language=language, cities=frozenset(cities)), ""


class _Site:
    """The meetings and subscribers the pages need, re-read when their files change."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.cached: tuple[tuple[float, ...], Series, tuple[Subscriber, ...]] | None = None

    def _load(self) -> tuple[Series, tuple[Subscriber, ...]]:
        stamps = tuple(
            _mtime(p) for p in (self.settings.meetings, self.settings.path("subscribers"))
        )
        with self.lock:
            if self.cached is None or self.cached[0] != stamps:
                series = load_series(self.settings.meetings)
                people = load_subscribers(self.settings.path("subscribers"), series.cities)
                self.cached = (stamps, series, people)
            assert self.cached is not None
            return self.cached[1], self.cached[2]

    def series(self) -> Series:
        return self._load()[0]

    def people(self) -> list[Subscriber]:
        connection = open_state(self.settings.state)
        try:
            return merge(self._load()[1], web_subscribers(connection))
        finally:
            connection.close()

    def person(self, secret: bytes, ident: str) -> Subscriber | None:
        return find_person(secret, ident, self.people())


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _static(folder: Path, name: str) -> Response:
    path = resolve(folder, name)
    if path is None:
        return Response("Not found\n", status=404, content_type="text/plain; charset=utf-8")
    data = path.read_bytes()
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    modified = path.stat().st_mtime
    headers = {
        "ETag": etag,
        "Last-Modified": formatdate(modified, usegmt=True),
        "Cache-Control": CACHE_CONTROL,
    }
    if _not_modified(etag, modified):
        return Response(status=304, headers=headers)
    content_type = CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    return Response(data, headers=headers, content_type=content_type or "application/octet-stream")


def _not_modified(etag: str, modified: float) -> bool:
    if (match := request.headers.get("If-None-Match")) is not None:
        return etag in (tag.strip() for tag in match.split(",")) or match.strip() == "*"
    if (since := request.headers.get("If-Modified-Since")) is not None:
        try:
            return int(modified) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def make_server(settings: Settings, host: str, port: int) -> Any:
    """Create (not start) the waitress server for the application."""
    from waitress.server import create_server

    return create_server(create_app(settings), host=host, port=port, threads=8, ident="reminders")
