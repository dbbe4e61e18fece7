"""The pages: sign-up with double opt-in, confirmation, unsubscribe, preferences, the folder.

None of them reveals whether an address is on the list: every address gets
the same page, status and work. Each view reads the request, asks the store
(opened once per request) and renders a page in the language asked for by
link (``?lang=``), else by the browser.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, request
from jinja2 import Environment

from reminders.i18n.languages import LANGUAGES, N_
from reminders.inputs.meetings import Series
from reminders.inputs.subscribers import Subscriber, parse_address
from reminders.publish.pages import landing_page, language_switch
from reminders.store.confirmations import queue_confirmation
from reminders.store.signups import confirm, leave, save_preferences, start_signup
from reminders.tokens import InvalidToken, read_token
from reminders.web.app import site, store
from reminders.web.guards import same_origin
from reminders.web.static import static_file

__all__ = ["views"]

log = logging.getLogger(__name__)

views = Blueprint("views", __name__)

HTML = "text/html; charset=utf-8"


def _environment() -> Environment:
    """The page environment of the language asked for by link, then by the browser."""
    envs = site().envs
    wanted = request.args.get("lang", "")
    if wanted not in envs:
        wanted = request.accept_languages.best_match(list(envs)) or "en"
    return envs[wanted]


def _usable() -> dict[str, str]:
    """The languages pages and messages can be written in now, each named in itself."""
    return {tag: LANGUAGES[tag] for tag in site().envs}


def _unavailable() -> str | None:
    """The native name of a language asked for by link that is not usable (yet), if any."""
    asked = request.args.get("lang", "")
    return LANGUAGES[asked] if asked in LANGUAGES and asked not in site().envs else None


def _switch(path: str) -> list[tuple[str, str, str]]:
    here = site()
    return language_switch(list(here.envs), lambda tag: f"{here.base_path}{path}?lang={tag}")


def _page(status: int = 200, **context: Any) -> Response:
    env = _environment()
    translate: Callable[[str], str] = env.globals["translate"]  # type: ignore[assignment]
    context["paragraphs"] = [translate(p) for p in context.get("paragraphs", [])]
    for key in ("title", "button"):
        if key in context:
            context[key] = translate(context[key])
    context.setdefault("form", None)
    context.setdefault("unavailable", _unavailable())
    context.setdefault("usable", _usable())
    here = site()
    html = env.get_template("page.html.j2").render(
        series=here.series(), base_path=here.base_path, **context
    )
    return Response(html, status=status, content_type=HTML)


def _with_form(purpose: str, page: Callable[[str], Response]) -> Response:
    """A page holding the ``purpose`` form: its CSRF token in it, the cookie on the response."""
    cookie, token = site().csrf.issue(request, purpose)
    return site().csrf.set_cookie(page(token), cookie)


def _from_here() -> bool:
    """Whether a POST comes from this site, as far as the browser says (Origin, Referer)."""
    origins = [site().settings.base_url, request.host_url]
    return same_origin(request, {f"{u.scheme}://{u.netloc}" for u in map(urlsplit, origins)})


def _refused_form() -> Response:
    return _page(
        403,
        title=N_("Please try again"),
        paragraphs=[
            N_(
                "The form was too old or came from elsewhere. "
                "Open the sign-up page and send it again."
            )
        ],
    )


def _invalid_link() -> Response:
    return _page(
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


def _token(purpose: str) -> str | None:
    """The opaque id of this request's token for ``purpose``, or None if it is not valid."""
    here = site()
    try:
        return read_token(here.secret, request.args.get("token", ""), purpose, here.clock())
    except InvalidToken:
        return None


def _leave(ident: str) -> Response:
    """Unsubscribe the address behind ``ident`` (if any) and say so, the same either way."""
    db = store()
    person = site().person(db, ident)
    if person is not None:
        leave(db, person.email, site().clock())
        log.info("unsubscribed one address")
    return _page(
        title=N_("You will get no more emails"),
        paragraphs=[N_("You are off the list. To come back, sign up again.")],
    )


def _signup_context(csrf: str) -> dict[str, Any]:
    return {"csrf": csrf, "languages": _usable(), "language": "en"}


@views.get("/")
def home() -> Response:
    here = site()

    def render(csrf: str) -> Response:
        html = landing_page(
            _environment(),
            here.series(),
            here.settings.feed_options,
            here.clock(),
            signup=_signup_context(csrf),
            base_path=here.base_path,
            switch=_switch(""),
        )
        return Response(html, content_type=HTML)

    return _with_form("signup", render)


@views.get("/subscribe")
def subscribe_form() -> Response:
    return _with_form(
        "signup",
        lambda csrf: _page(
            title=N_("Get email reminders"), form="signup", signup=_signup_context(csrf)
        ),
    )


@views.post("/subscribe")
def subscribe() -> Response:
    here = site()
    if not (_from_here() and here.csrf.passes(request, "signup")):
        return _refused_form()
    if not here.limiter.allow(request.remote_addr or "unknown"):
        return _page(
            429,
            title=N_("Too many sign-ups"),
            paragraphs=[N_("Please wait a few minutes and try again.")],
        )
    person, problem = _person_from_form(request.form, here.series())
    if person is None:
        return _with_form(
            "signup",
            lambda csrf: _page(
                400,
                title=N_("Please check the form"),
                paragraphs=[problem],
                form="signup",
                signup=_signup_context(csrf),
            ),
        )
    db = store()
    signup = start_signup(db, person, here.clock())
    if signup.send:
        queue_confirmation(db, signup.id, here.clock())
        here.mailer.wake()
    return _page(
        title=N_("Check your email"),
        paragraphs=[
            N_(
                "If the address is right, a confirmation email is on its way. "
                "Open the link in it to start getting reminders. Until then, "
                "nothing is sent."
            )
        ],
    )


@views.get("/confirm")
def confirm_form() -> Response:
    if _token("confirm") is None:
        return _invalid_link()
    return _page(
        title=N_("Confirm your sign-up"),
        form="confirm",
        button=N_("Yes, send me reminders"),
        action=request.full_path,
    )


@views.post("/confirm")
def confirm_post() -> Response:
    if not _from_here():
        return _refused_form()
    ident = _token("confirm")
    if ident is None:
        return _invalid_link()
    if confirm(store(), ident, site().clock()) is None:
        # A good, unexpired link whose sign-up is gone was followed before.
        return _page(
            title=N_("You are already signed up"),
            paragraphs=[N_("This link was used already: your sign-up is confirmed.")],
        )
    return _page(
        title=N_("You are signed up"),
        paragraphs=[
            N_(
                "You will get a reminder a few days before each meeting. "
                "Every email has a link to stop them."
            )
        ],
    )


@views.get("/unsubscribe")
def unsubscribe_form() -> Response:
    if _token("unsubscribe") is None:
        return _invalid_link()
    return _page(
        title=N_("Stop the reminder emails?"),
        form="unsubscribe",
        button=N_("Stop all emails"),
        action=request.full_path,
    )


@views.post("/unsubscribe")
def unsubscribe() -> Response:
    # RFC 8058: the mail provider POSTs List-Unsubscribe=One-Click without cookies;
    # the signed token is the authority, so no CSRF token is asked for here.
    ident = _token("unsubscribe")
    return _invalid_link() if ident is None else _leave(ident)


@views.get("/preferences")
def preferences_form() -> Response:
    ident = _token("preferences")
    if ident is None:
        return _invalid_link()
    person = site().person(store(), ident) or Subscriber(email="unknown@example.org")
    return _with_form(
        "preferences",
        lambda csrf: _page(
            title=N_("Your reminders"),
            form="preferences",
            person=person,
            languages=_usable(),
            csrf=csrf,
            action=request.full_path,
        ),
    )


@views.post("/preferences")
def preferences() -> Response:
    here = site()
    ident = _token("preferences")
    if ident is None:
        return _invalid_link()
    if not (_from_here() and here.csrf.passes(request, "preferences")):
        return _page(
            403,
            title=N_("Please try again"),
            paragraphs=[N_("The form was too old. Open the link again.")],
        )
    if request.form.get("action") == "leave":
        return _leave(ident)
    db = store()
    person = here.person(db, ident)
    language = request.form.get("language", "en")
    cities = set(request.form.getlist("cities"))
    if language not in _usable() or not cities <= set(here.series().cities):
        return _page(400, title=N_("Please check the form"), paragraphs=[N_("Unknown choice.")])
    if person is not None:
        chosen = replace(person, language=language, cities=frozenset(cities))
        save_preferences(db, chosen, here.clock())
    return _page(title=N_("Saved"), paragraphs=[N_("Your choices are saved.")])


@views.route("/<path:name>", methods=["GET", "HEAD"])
def public(name: str) -> Response:
    return static_file(site().settings.public, name, request)


# A name goes into "Hello ...," of an email sent to any address typed in the form: it may
# hold letters, marks, spaces and the punctuation names have, and nothing else (no
# digits, so no links; no bidi controls).
_NAME_PUNCTUATION = frozenset(" .,'’-()")


def _plain_name(name: str) -> bool:
    return len(name) <= 60 and all(
        c in _NAME_PUNCTUATION or unicodedata.category(c)[0] in "LM" for c in name
    )


def _person_from_form(form: Mapping[str, Any], series: Series) -> tuple[Subscriber | None, str]:
    try:
        email = parse_address(str(form.get("email", "")))
    except ValueError:
        return None, N_("Please enter a valid email address.")
    name = " ".join(str(form.get("name", "")).split())
    if not _plain_name(name):
        return None, N_("Please write your name with letters only, or leave it empty.")
    language = str(form.get("language", "en"))
    cities = set(form.getlist("cities")) if hasattr(form, "getlist") else set()
    if language not in _usable() or not cities <= set(series.cities):
        return None, N_("Please choose a language and cities from the lists.")
    return Subscriber(email=email, name=name, language=language, cities=frozenset(cities)), ""
