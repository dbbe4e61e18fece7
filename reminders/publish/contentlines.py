"""Content lines as icalendar writes them, without its per-property machinery.

Serializing an icalendar component builds, for each property, a parameter
object, a content line and then folds it a character at a time; that is most
of what a build costs. Here the values are still icalendar's own types (their
escaping and formats are its), but the lines are assembled and folded directly,
and only lines of 75 octets or more are handed to icalendar's folding, since a
shorter line comes out of it unchanged (RFC 5545, 3.1).
``tests/publish/test_pieces.py`` holds both functions equal to ``to_ical()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import icalendar
from icalendar.parser import Contentline

__all__ = ["assembled", "content_line", "serialized"]

# A property's name and its value, of one of icalendar's types (which carries its parameters).
Property = tuple[str, Any]

_FOLD_AT = 75  # octets: icalendar folds a line at or beyond this length


def serialized(component: icalendar.Component) -> bytes:
    """``component.to_ical()``, folding only the lines long enough to fold."""
    lines = component.content_lines()
    return b"".join(_folded(line) for line in lines if line)


def assembled(properties: Iterable[Property]) -> bytes:
    """The lines of these properties, in this order, as ``to_ical()`` writes each."""
    return b"".join(content_line(name, value) for name, value in properties)


def content_line(name: str, value: Any) -> bytes:
    """One property's line, folded, with its CRLF, as ``to_ical()`` writes it."""
    params = value.params.to_ical().decode("utf-8") if value.params else ""
    text = value.to_ical()
    text = text.decode("utf-8") if isinstance(text, bytes) else text
    return _folded(f"{name};{params}:{text}" if params else f"{name}:{text}")


def _folded(line: str) -> bytes:
    """The line and its CRLF, folded where icalendar would fold it."""
    data = line.encode("utf-8")
    if len(data) >= _FOLD_AT:
        data = bytes(Contentline(line).to_ical())  # type: ignore[no-untyped-call]
    return data + b"\r\n"
