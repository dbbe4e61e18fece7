"""The pages: sign-up with double opt-in, confirmation, unsubscribe, preferences, the folder.

None of them reveals whether an address is on the list: every address gets
the same page, status and work. Each view reads the request, asks the store
(opened once per request) and renders a page in the language asked for by
link (``?lang=``), else by the browser.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from flask import Blueprint, Response, request

from reminders.i18n.languages import N_
from reminders.inputs.subscribers import Subscriber
from reminders.publish.pages import landing_page
from reminders.sms.numbers import mask_number
from reminders.store.base import stamp
from reminders.store.confirmations import queue_confirmation
from reminders.store.signups import confirm, leave, save_preferences, start_signup
from reminders.tokens import InvalidToken, read_token
from reminders.web import pages
from reminders.web.app import site, store
from reminders.web.static import static_file

__all__ = ["views"]

log = logging.getLogger(__name__)

views = Blueprint("views", __name__)

# Who a link names when it names nobody on the list: the pages do the same work for them.
NOBODY = Subscriber(email="unknown@example.org")


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
        leave(db, person, site().clock())
        log.info("unsubscribed one address")
    return pages.page(
        title=N_("You will get no more emails"),
        paragraphs=[N_("You are off the list. To come back, sign up again.")],
    )


@views.get("/")
def home() -> Response:
    here = site()

    def render(csrf: str) -> Response:
        html = landing_page(
            pages.environment(),
            here.series(),
            here.settings.feed_options,
            here.clock(),
            signup=pages.signup_context(csrf),
            base_path=here.base_path,
            switch=pages.switch(""),
            crowd=pages.crowd(),
        )
        return Response(html, content_type=pages.HTML)

    return pages.with_form("signup", render)


@views.get("/subscribe")
def subscribe_form() -> Response:
    return pages.with_form(
        "signup",
        lambda csrf: pages.page(
            title=N_("Get email reminders"), form="signup", signup=pages.signup_context(csrf)
        ),
    )


@views.post("/subscribe")
def subscribe() -> Response:
    here = site()
    if not (pages.from_here() and here.csrf.passes(request, "signup")):
        return pages.refused_form()
    if not here.limiter.allow(request.remote_addr or "unknown"):
        return pages.page(
            429,
            title=N_("Too many sign-ups"),
            paragraphs=[N_("Please wait a few minutes and try again.")],
        )
    person, problem = pages.person_from_form(request.form, here.series())
    if person is None:
        return pages.with_form(
            "signup",
            lambda csrf: pages.page(
                400,
                title=N_("Please check the form"),
                paragraphs=[problem],
                form="signup",
                signup=pages.signup_context(csrf),
            ),
        )
    db = store()
    signup = start_signup(db, person, here.clock())
    if signup.send:
        queue_confirmation(db, signup.id, here.clock())
        here.mailer.wake()
    return pages.page(
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
        return pages.invalid_link()
    return pages.page(
        title=N_("Confirm your sign-up"),
        form="confirm",
        button=N_("Yes, send me reminders"),
        action=request.full_path,
    )


@views.post("/confirm")
def confirm_post() -> Response:
    if not pages.from_here():
        return pages.refused_form()
    ident = _token("confirm")
    if ident is None:
        return pages.invalid_link()
    if confirm(store(), ident, site().clock(), site().secret.current) is None:
        # A good, unexpired link whose sign-up is gone was followed before.
        return pages.page(
            title=N_("You are already signed up"),
            paragraphs=[N_("This link was used already: your sign-up is confirmed.")],
        )
    return pages.page(
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
        return pages.invalid_link()
    return pages.page(
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
    return pages.invalid_link() if ident is None else _leave(ident)


@views.get("/preferences")
def preferences_form() -> Response:
    ident = _token("preferences")
    if ident is None:
        return pages.invalid_link()
    person = site().person(store(), ident) or NOBODY
    return pages.with_form(
        "preferences",
        lambda csrf: pages.page(
            title=N_("Your reminders"),
            form="preferences",
            person=person,
            languages=pages.usable(),
            texting=pages.texting(),
            masked=mask_number(person.phone) if person.phone else "",
            csrf=csrf,
            action=request.full_path,
        ),
    )


@views.post("/preferences")
def preferences() -> Response:
    here = site()
    ident = _token("preferences")
    if ident is None:
        return pages.invalid_link()
    if not (pages.from_here() and here.csrf.passes(request, "preferences")):
        return pages.page(
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
    if language not in pages.usable() or not cities <= set(here.series().cities):
        return pages.page(
            400, title=N_("Please check the form"), paragraphs=[N_("Unknown choice.")]
        )
    chosen, problem = pages.reached_by(
        request.form,
        replace(
            person or NOBODY,
            language=language,
            cities=frozenset(cities),
        ),
    )
    if chosen is None:
        return pages.page(400, title=N_("Please check the form"), paragraphs=[problem])
    if person is not None:
        newly = chosen.phone != person.phone or "sms" not in person.channels
        if newly and "sms" in chosen.channels:  # the agreement the consent question follows
            chosen = replace(chosen, sms_consent=f"web preferences {stamp(here.clock())}")
        save_preferences(db, chosen, here.clock(), here.secret.current)
    return pages.page(title=N_("Saved"), paragraphs=[N_("Your choices are saved.")])


@views.route("/<path:name>", methods=["GET", "HEAD"])
def public(name: str) -> Response:
    return static_file(site().settings.public, name, request)
