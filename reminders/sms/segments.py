"""Counting SMS segments as carriers do, so organizers see the cost before sending.

A message that fits the GSM 03.38 alphabet is sent in 7-bit septets: 160 in
one segment, 153 per segment once it is split (a header takes the rest);
characters of the extension table (``€``, ``[``, ``{``...) take two septets.
Anything else (Arabic, Chinese, an emoji) sends the whole message as UCS-2:
70 UTF-16 code units in one segment, 67 per segment when split, and an emoji
outside the Basic Multilingual Plane takes two units.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Segments", "count_segments"]

# GSM 03.38 basic character set (its escape position excluded) and extension table.
_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENDED = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True, slots=True)
class Segments:
    """How a text goes out: its encoding, its length in that encoding's units, its segments."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    count: int


def count_segments(text: str) -> Segments:
    if all(c in _BASIC or c in _EXTENDED for c in text):
        units = sum(2 if c in _EXTENDED else 1 for c in text)
        single, split, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, split, encoding = 70, 67, "UCS-2"
    count = 1 if units <= single else -(-units // split)
    return Segments(encoding, units, count)
