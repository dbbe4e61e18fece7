"""The text provider's webhooks: replies (STOP, START/YES, HELP) and delivery reports.

Both requests are signed by the provider (Twilio's ``X-Twilio-Signature``,
checked with its own ``RequestValidator`` over the public URL the provider
was given, which is ``base_url`` and not what a proxy forwards): an unsigned
or wrongly signed request changes nothing and gets 403. A reply is acted on
at once, whatever its case and spaces; the answer is the same whether or not
the number is on the list, and is written in the language of the word the
person used. ``/m/<id>`` is the short link texts carry.
"""

from __future__ import annotations

import logging
import os
from xml.sax.saxutils import escape

from flask import Blueprint, Response, request

from reminders.i18n.languages import usable
from reminders.sms.messages import Texts
from reminders.sms.replies import answer_to, take_reply
from reminders.sms.transports import TOKEN_ENV, unreachable
from reminders.store.bounces import record_bounce
from reminders.web.app import site, store

__all__ = ["texts"]

log = logging.getLogger(__name__)

texts = Blueprint("texts", __name__)


def _signed(path: str) -> bool:
    from twilio.request_validator import RequestValidator

    token = os.environ.get(TOKEN_ENV, "")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = f"{site().settings.base_url}{path}"
    return bool(RequestValidator(token).validate(url, request.form.to_dict(), signature))


def _twiml(message: str | None) -> Response:
    body = f"<Message>{escape(message)}</Message>" if message else ""
    xml = f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'
    return Response(xml, content_type="application/xml")


@texts.post("/sms/inbound")
def inbound() -> Response:
    if not _signed("sms/inbound"):
        return Response("", status=403)
    here = site()
    body = request.form.get("Body", "")
    ask, _ = take_reply(store(), request.form.get("From", ""), body, here.clock())
    settings = here.settings
    renderer = Texts(settings.templates, settings.locale)
    languages = usable(settings.locale, settings.allow_drafts)
    return _twiml(answer_to(ask, body, renderer, here.series(), languages))


@texts.post("/sms/status")
def status() -> Response:
    if not _signed("sms/status"):
        return Response("", status=403)
    state = request.form.get("MessageStatus", "")
    sid = request.form.get("MessageSid", "")
    code = request.form.get("ErrorCode", "")
    if state in ("undelivered", "failed") and sid:
        kind = "hard" if code.isdigit() and unreachable(int(code)) else "soft"
        bounces = site().settings.bounces
        record_bounce(store(), sid, kind, site().clock(), hard=bounces.hard, soft=bounces.soft)
        log.info("a text was %s (error %s)", state, code or "none")
    return Response("", status=204)


@texts.get("/m/<meeting_id>")
def meeting_link(meeting_id: str) -> Response:
    """A text's short link: the meeting on the landing page."""
    if site().series().get(meeting_id) is None:
        return Response("", status=404)
    return Response("", status=302, headers={"Location": f"{site().base_path}#{meeting_id}"})
