"""The rules of the text channel: quiet hours, and what a reply asks for.

Pure. Quiet hours are local to each meeting's zone: a window that opens at
night sends when they end, if it is still open. A reply is read as carriers
read opt-out words: the whole message, any case, surrounding spaces ignored,
in English, Spanish and Portuguese.
"""

from __future__ import annotations

import enum
import unicodedata
from datetime import datetime, time
from zoneinfo import ZoneInfo

__all__ = ["Ask", "quiet", "read_reply"]


def quiet(now: datetime, zone: ZoneInfo, start: time, end: time) -> bool:
    """Whether ``now`` is inside the quiet hours ``start``–``end`` in ``zone``."""
    local = now.astimezone(zone).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # overnight, as 21:00-08:00 is


class Ask(enum.Enum):
    """What a reply asks for."""

    STOP = "stop"
    START = "start"
    HELP = "help"
    OTHER = "other"


_WORDS = {
    Ask.STOP: {
        "stop",
        "stopall",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "revoke",
        "optout",
        "parar",
        "cancelar",
        "sair",
        "baja",
        "alto",
        "detener",
    },
    Ask.START: {"start", "yes", "unstop", "si", "sim"},
    Ask.HELP: {"help", "info", "ayuda", "ajuda"},
}


def read_reply(body: str) -> Ask:
    """What an inbound text asks for (``" stop "``, ``"PARAR"``, ``"Sí"``...)."""
    word = "".join(c for c in unicodedata.normalize("NFKD", body.strip().casefold()) if c.isalnum())
    for ask, words in _WORDS.items():
        if word in words:
            return ask
    return Ask.OTHER
