"""Content lines as icalendar writes them, without its per-property machinery.

Serializing an icalendar component builds, for each property, a parameter
object, a content line and then folds it a character at a time; that is most
of what a build costs. Here lines are assembled and folded directly, and only
lines of 75 octets or more are handed to icalendar's folding, since a shorter
line comes out of it unchanged (RFC 5545, 3.1). The values a feed writes
for every event and file are made without a value object: TEXT escaped as
icalendar escapes it, DATE-TIME with the parameters icalendar gives that zone,
a URI and a calendar's name as icalendar writes them, each shape asked of
icalendar once (per zone, per property).
``tests/publish/test_pieces.py`` holds every function here equal to
``to_ical()``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

import icalendar
from icalendar import vDDDTypes, vUri
from icalendar.parser import Contentline

__all__ = ["content_line", "datetime_line", "serialized", "string_line", "text_line", "uri_line"]

_FOLD_AT = 75  # octets: icalendar folds a line at or beyond this length


def serialized(component: icalendar.Component) -> bytes:
    """``component.to_ical()``, folding only the lines long enough to fold."""
    lines = component.content_lines()
    return b"".join(_folded(line) for line in lines if line)


def content_line(name: str, value: Any) -> bytes:
    """One property's line, folded, with its CRLF, as ``to_ical()`` writes it."""
    params = value.params.to_ical().decode("utf-8") if value.params else ""
    text = value.to_ical()
    text = text.decode("utf-8") if isinstance(text, bytes) else text
    return _folded(f"{name};{params}:{text}" if params else f"{name}:{text}")


def text_line(name: str, text: str) -> bytes:
    """A TEXT property without parameters, escaped as icalendar escapes it."""
    return _folded(f"{name}:{_escaped(text)}")


def _escaped(text: str) -> str:
    # icalendar's order (its parser.string module): a literal "\N" first becomes a
    # line break, then backslashes, separators and every kind of line break.
    return (
        text.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def string_line(name: str, value: str) -> bytes:
    """A property of a string, as icalendar writes the type it gives ``name``.

    A property icalendar does not know (``NAME``, ``X-WR-CALNAME``) takes its
    UNKNOWN type, written verbatim by icalendar 7.2 and later and escaped as
    TEXT before; which one is asked of icalendar once per name.
    """
    return _folded(f"{name}:{_string_writer(name)(value)}")


_PROBE = "a\\N;b,c\\d\ne\r\nf"  # every character that TEXT escapes


@functools.lru_cache(maxsize=64)
def _string_writer(name: str) -> Callable[[str], str]:
    written = icalendar.Calendar.types_factory.for_property(name)(_PROBE).to_ical()
    for writer in (str, _escaped):
        if written.decode("utf-8") == writer(_PROBE):
            return writer
    raise ValueError(f"icalendar writes {name} as {written!r}")  # a new way: fail loudly


def uri_line(name: str, uri: str) -> bytes:
    """A URI property with ``VALUE=URI``, as icalendar writes a ``vUri`` with that parameter."""
    return _folded(_uri_head(name) + uri)


@functools.lru_cache(maxsize=16)
def _uri_head(name: str) -> str:
    """What icalendar writes before a URI, asked once per name (with a URI it must not alter)."""
    probe = "https://example.org/a;b,c%20d?e=f&g#h"
    value = vUri(probe)
    value.params["VALUE"] = "URI"
    head, tail = _around(name, value, probe)
    if tail or not head.endswith(":"):
        raise ValueError(f"icalendar writes {name} as {head + probe + tail!r}")
    return head


def datetime_line(name: str, moment: datetime) -> bytes:
    """A DATE-TIME property of an aware datetime, with the TZID icalendar gives its zone."""
    assert moment.tzinfo is not None
    head, tail = _datetime_shape(name, moment.tzinfo)
    return _folded(
        f"{head}{moment.year:04}{moment.month:02}{moment.day:02}"
        f"T{moment.hour:02}{moment.minute:02}{moment.second:02}{tail}"
    )


@functools.lru_cache(maxsize=256)
def _datetime_shape(name: str, zone: tzinfo) -> tuple[str, str]:
    """What icalendar writes before and after the digits of a time in ``zone``."""
    return _around(name, vDDDTypes(datetime(2000, 1, 1, tzinfo=zone)), "20000101T000000")


def _around(name: str, value: Any, written: str) -> tuple[str, str]:
    """What icalendar writes before and after ``written``, the text of ``value``."""
    line = content_line(name, value).decode("utf-8").removesuffix("\r\n")
    head, found, tail = line.rpartition(written)
    if not found or ":" not in head:
        raise ValueError(f"icalendar writes {name} as {line!r}")  # a new format: fail loudly
    return head, tail


def _folded(line: str) -> bytes:
    """The line and its CRLF, folded where icalendar would fold it."""
    data = line.encode("utf-8")
    if len(data) >= _FOLD_AT:
        data = bytes(Contentline(line).to_ical())  # type: ignore[no-untyped-call]
    return data + b"\r\n"
