"""Delivery kinds: what a message is about, as the ledger names it.

A kind is one of four families: a ``reminder`` at an offset (``reminder:3d``),
a ``venue`` announced late, a ``change`` notice or a ``cancel`` notice at a
calendar revision (``change:4``). :class:`Kind` is a ``str`` so that the
ledger stores it as it always has, and it is read apart in one place only.
"""

from __future__ import annotations

import enum
from datetime import timedelta

__all__ = ["Family", "Kind", "offset_label"]


class Family(enum.StrEnum):
    """The four kinds of message, each with its own templates."""

    REMINDER = "reminder"
    VENUE = "venue"
    CHANGE = "change"
    CANCEL = "cancel"

    @property
    def template(self) -> str:
        """The template family's file stem: ``cancel`` -> ``cancelled``."""
        return "cancelled" if self is Family.CANCEL else self.value


def offset_label(offset: timedelta) -> str:
    """Name an offset compactly and stably: ``3d``, ``2h``, ``90m``."""
    minutes = int(offset.total_seconds()) // 60
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


class Kind(str):
    """A delivery kind, checked when made: ``reminder:3d``, ``venue``, ``change:4``."""

    __slots__ = ()

    def __new__(cls, text: str) -> Kind:
        family, _, detail = text.partition(":")
        try:
            known = Family(family)
        except ValueError:
            raise ValueError(f"{text!r} is not a delivery kind") from None
        if (known is Family.VENUE) != (detail == ""):
            raise ValueError(f"{text!r} is not a delivery kind")
        return super().__new__(cls, text)

    @classmethod
    def reminder(cls, offset: timedelta) -> Kind:
        """The reminder sent ``offset`` before a meeting."""
        return cls(f"{Family.REMINDER}:{offset_label(offset)}")

    @classmethod
    def venue(cls) -> Kind:
        """The reminder that a late venue announcement brings."""
        return cls(Family.VENUE.value)

    @classmethod
    def notice(cls, cancelled: bool, sequence: int) -> Kind:
        """The notice of one calendar revision: each revision is announced once."""
        family = Family.CANCEL if cancelled else Family.CHANGE
        return cls(f"{family}:{sequence}")

    @property
    def family(self) -> Family:
        return Family(self.partition(":")[0])

    @property
    def detail(self) -> str:
        """The offset label of a reminder, the sequence of a notice, empty for a venue."""
        return self.partition(":")[2]

    @property
    def is_notice(self) -> bool:
        return self.family in (Family.CHANGE, Family.CANCEL)

    @property
    def label(self) -> str:
        """How a report names it: ``3d``, ``venue announced``, ``change notice``."""
        if self.family is Family.REMINDER:
            return self.detail
        if self.family is Family.VENUE:
            return "venue announced"
        return f"{self.family} notice"
