"""What every view's page is made of: the language it speaks, its form, and its guards.

A page is rendered in the language asked for by link (``?lang=``), else by
the browser, among the usable ones; a form carries its CSRF token and the
cookie it matches; a POST is judged by its origin and its token.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from flask import Response, request
from jinja2 import Environment

from reminders.i18n.languages import LANGUAGES, N_
from reminders.inputs.meetings import Series
from reminders.inputs.subscribers import Subscriber, parse_address
from reminders.publish.pages import language_switch
from reminders.sms.numbers import parse_phone
from reminders.store.attendance import tallies
from reminders.web.app import site, store
from reminders.web.guards import same_origin

__all__ = [
    "HTML",
    "crowd",
    "environment",
    "from_here",
    "invalid_link",
    "page",
    "person_from_form",
    "reached_by",
    "refused_form",
    "signup_context",
    "switch",
    "texting",
    "usable",
    "with_form",
]


HTML = "text/html; charset=utf-8"


def environment() -> Environment:
    """The page environment of the language asked for by link, then by the browser."""
    envs = site().envs
    wanted = request.args.get("lang", "")
    if wanted not in envs:
        wanted = request.accept_languages.best_match(list(envs)) or "en"
    return envs[wanted]


def usable() -> dict[str, str]:
    """The languages pages and messages can be written in now, each named in itself."""
    return {tag: LANGUAGES[tag] for tag in site().envs}


def unavailable() -> str | None:
    """The native name of a language asked for by link that is not usable (yet), if any."""
    asked = request.args.get("lang", "")
    return LANGUAGES[asked] if asked in LANGUAGES and asked not in site().envs else None


def crowd() -> dict[str, int] | None:
    """How many people each meeting expects, when the settings let the public see it."""
    if not site().settings.attendance.public:
        return None
    return {key: tally.expected for key, tally in tallies(store()).items()}


def switch(path: str) -> list[tuple[str, str, str]]:
    here = site()
    return language_switch(list(here.envs), lambda tag: f"{here.base_path}{path}?lang={tag}")


def page(status: int = 200, **context: Any) -> Response:
    env = environment()
    translate: Callable[[str], str] = env.globals["translate"]  # type: ignore[assignment]
    context["paragraphs"] = [translate(p) for p in context.get("paragraphs", [])]
    for key in ("title", "button"):
        if key in context:
            context[key] = translate(context[key])
    context.setdefault("form", None)
    context.setdefault("unavailable", unavailable())
    context.setdefault("usable", usable())
    here = site()
    html = env.get_template("page.html.j2").render(
        series=here.series(), base_path=here.base_path, **context
    )
    return Response(html, status=status, content_type=HTML)


def with_form(purpose: str, page: Callable[[str], Response]) -> Response:
    """A page holding the ``purpose`` form: its CSRF token in it, the cookie on the response."""
    cookie, token = site().csrf.issue(request, purpose)
    return site().csrf.set_cookie(page(token), cookie)


def from_here() -> bool:
    """Whether a POST comes from this site, as far as the browser says (Origin, Referer)."""
    origins = [site().settings.base_url, request.host_url]
    return same_origin(request, {f"{u.scheme}://{u.netloc}" for u in map(urlsplit, origins)})


def refused_form() -> Response:
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


def texting() -> bool:
    """Whether the series sends texts, so the forms offer the number and the choice."""
    return site().settings.sms.enabled


def signup_context(csrf: str) -> dict[str, Any]:
    return {"csrf": csrf, "languages": usable(), "language": "en", "texting": texting()}


# A name goes into "Hello ...," of an email sent to any address typed in the form: it may
# hold letters, marks, spaces and the punctuation names have, and nothing else (no
# digits, so no links; no bidi controls).
_NAME_PUNCTUATION = frozenset(" .,'’-()")


def plain_name(name: str) -> bool:
    return len(name) <= 60 and all(
        c in _NAME_PUNCTUATION or unicodedata.category(c)[0] in "LM" for c in name
    )


def person_from_form(form: Mapping[str, Any], series: Series) -> tuple[Subscriber | None, str]:
    try:
        email = parse_address(str(form.get("email", "")))
    except ValueError:
        return None, N_("Please enter a valid email address.")
    name = " ".join(str(form.get("name", "")).split())
    if not plain_name(name):
        return None, N_("Please write your name with letters only, or leave it empty.")
    language = str(form.get("language", "en"))
    cities = set(form.getlist("cities")) if hasattr(form, "getlist") else set()
    if language not in usable() or not cities <= set(series.cities):
        return None, N_("Please choose a language and cities from the lists.")
    person = Subscriber(email=email, name=name, language=language, cities=frozenset(cities))
    return reached_by(form, person)


def reached_by(form: Mapping[str, Any], person: Subscriber) -> tuple[Subscriber | None, str]:
    """``person`` with the channels and number the form chose (kept if it chose none).

    An empty number field keeps the number ``person`` has; a number given with
    email alone is kept for later, unused.
    """
    if not texting():
        return person, ""
    channels = str(form.get("channels", ";".join(sorted(person.channels))))
    if channels not in CHOICES:
        return None, N_("Please choose a language and cities from the lists.")
    phone = person.phone
    if typed := str(form.get("phone", "")).strip():
        try:
            phone = parse_phone(typed, site().settings.sms.region)
        except ValueError:
            phone = ""
    if "sms" in channels and not phone:
        return None, N_("Please enter a mobile phone number for text messages, or choose email.")
    return replace(person, phone=phone, channels=frozenset(channels.split(";"))), ""


CHOICES = ("email", "sms", "email;sms")
