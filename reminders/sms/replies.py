"""Acting on a reply: STOP suppresses the number at once, START/YES gives consent.

Whether the reply came through the provider's webhook (:mod:`reminders.web.texts`)
or was typed in by an organizer (``reminders reply``), it does the same, and
only for a number the tool asked (so nothing is stored of a number that is not
on the list). The answer to send back is the same either way, in the language
of the word the person used.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from reminders.i18n.languages import Language
from reminders.inputs.meetings import Series
from reminders.sms.messages import Texts
from reminders.sms.numbers import mask_number
from reminders.sms.rules import Ask, read_reply
from reminders.store import consent, ledger
from reminders.store.base import Database

__all__ = ["answer_to", "take_reply"]

log = logging.getLogger(__name__)

_TEMPLATES = {Ask.STOP: "stopped", Ask.START: "started", Ask.HELP: "help"}
_SPANISH = {"parar", "cancelar", "baja", "alto", "detener", "ayuda", "si"}
_PORTUGUESE = {"sair", "ajuda", "sim"}


def take_reply(db: Database, number: str, body: str, now: datetime) -> tuple[Ask, bool]:
    """Act on what ``number`` sent; return what it asked for, and whether it was acted on."""
    ask, key = read_reply(body), f"sms:{number}"
    if ask in (Ask.OTHER, Ask.HELP) or not consent.asked(db, key):
        return ask, False
    if ask is Ask.STOP:
        ledger.suppress(db, key, "replied STOP", now)
        log.info("%s replied STOP: no more texts", mask_number(number))
    elif ask is Ask.START:
        ledger.lift(db, key)
        consent.give(db, key, now, f"replied {body.strip().upper()[:12]}")
        log.info("%s replied YES: texts may go", mask_number(number))
    return ask, True


def answer_to(
    ask: Ask, body: str, texts: Texts, series: Series, languages: Sequence[Language]
) -> str | None:
    """The text to send back, if any, in the language of the word used (else English)."""
    if ask not in _TEMPLATES:
        return None
    word = "".join(c for c in body.strip().casefold() if c.isalnum())
    tag = "es" if word in _SPANISH else "pt-BR" if word in _PORTUGUESE else "en"
    usable = {language.tag: language for language in languages}
    context = {"series": series.name, "contact": series.organizer_email}
    return texts.render(_TEMPLATES[ask], context, usable.get(tag) or usable["en"])
