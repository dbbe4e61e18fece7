"""What every text field of an input must be: the patterns all readers share.

One definition each of a control character (C0, C1 and the Unicode line
separators, which would break a header or a line), a bidi override (which
can make a page or a message read as something else), a BCP 47 language
tag as the files write it, and the cleaning of single- and multi-line fields.
"""

from __future__ import annotations

import re

__all__ = ["BIDI_CONTROL", "CONTROL", "HEADER_BREAKING", "LANGUAGE_TAG", "clean", "one_line"]

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Bidi embeddings, overrides and isolates: they can make text read as something else.
BIDI_CONTROL = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# What must never reach a mail header: the controls, and the byte-order mark too.
HEADER_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]+")
# Any control but the line and tab a multi-line field may hold.
_MULTILINE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def one_line(text: str) -> str:
    """Fold a single-line field (title, city, venue) onto one line, without controls."""
    return " ".join(CONTROL.sub(" ", BIDI_CONTROL.sub("", text)).split())


def clean(text: str) -> str:
    """A free-text field (notes) without controls or bidi overrides; its lines are kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _MULTILINE_CONTROL.sub(" ", BIDI_CONTROL.sub("", text))
