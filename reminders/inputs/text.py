"""What every text field of an input must be: the patterns all readers share.

One definition each of a control character (C0, C1 and the Unicode line
separators, which would break a header or a line), a BCP 47 language tag
as the files write it, and the folding of a single-line field.
"""

from __future__ import annotations

import re

__all__ = ["CONTROL", "LANGUAGE_TAG", "one_line"]

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def one_line(text: str) -> str:
    """Fold a single-line field (title, city, venue) onto one line, without controls."""
    return " ".join(CONTROL.sub(" ", text).split())
