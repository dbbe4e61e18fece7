"""The meeting series: its value types, and reading them from ``meetings.toml``.

Everything downstream (feed, reminders, daemon, web) works on one validated
:class:`Series`. :func:`load_series` reports every problem of a file at once,
each with its line, and returns nothing unless the whole file is valid.
Whether a venue is still "to be determined" is decided here and only here.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from reminders.inputs.access import Access

__all__ = [
    "TBD_MARKERS",
    "KeptMeeting",
    "LastReading",
    "Meeting",
    "Series",
    "Snapshot",
    "Status",
    "is_tbd",
    "slug",
]

# Words that mean "the place is not known yet", in the languages these series are
# announced in. A venue holding any of them, as words, anywhere, is unknown: "Sat, TBD"
# or "Lugar por confirmar" must never pass for a place, or reminders would go out.
TBD_MARKERS = (
    # English
    "tbd",
    "tba",
    "tbc",
    "to be announced",
    "to be determined",
    "to be confirmed",
    "to be decided",
    # Spanish
    "por confirmar",
    "por anunciar",
    "por determinar",
    "por definir",
    "por decidir",
    # Portuguese (and Spanish "a confirmar")
    "a confirmar",
    "a definir",
    "a anunciar",
    "a determinar",
    "a ser anunciado",
    "a ser definido",
    "a ser confirmado",
    # Haitian Creole
    "pou konfime",
    "pou anonse",
    "pou detèmine",
    "pou deside",
    # Cape Verdean Creole
    "pa konfirma",
    "pa konfirmá",
    "pa anunsia",
    "pa disidi",
)
_TBD = re.compile(
    r"(?<!\w)(?:" + "|".join(m.replace(" ", r"\W+") for m in TBD_MARKERS) + r")(?!\w)",
    re.IGNORECASE,
)


class Status(enum.StrEnum):
    """Whether a meeting takes place."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


def slug(text: str) -> str:
    """Make an id or file name part from a name: ``New Bedford`` -> ``new-bedford``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    made = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    # A name in a script with no ASCII letters still needs a stable, distinct file name.
    return made or "x-" + hashlib.sha256(text.encode()).hexdigest()[:10]


def is_tbd(venue: str | None) -> bool:
    """Tell whether a venue as written means "not yet known": missing, empty, or marked so."""
    return venue is None or not venue.strip() or _TBD.search(venue) is not None


NO_ACCESS = Access()


@dataclass(frozen=True, slots=True, kw_only=True)
class Meeting:
    """One meeting of the series, with aware start and end in its own zone."""

    id: str
    city: str
    title: str
    start: datetime
    end: datetime
    venue: str | None = None
    room: str | None = None
    address: str | None = None
    notes: str | None = None
    status: Status = Status.CONFIRMED
    access: Access = NO_ACCESS

    @property
    def zone(self) -> ZoneInfo:
        """The IANA zone the meeting's wall-clock times are in."""
        assert isinstance(self.start.tzinfo, ZoneInfo)
        return self.start.tzinfo

    @property
    def venue_tbd(self) -> bool:
        """True while the venue is not yet known."""
        return self.venue is None

    @property
    def cancelled(self) -> bool:
        return self.status is Status.CANCELLED

    @property
    def location(self) -> str | None:
        """Venue, room and address on one line, or None while the venue is TBD."""
        if self.venue is None:
            return None
        return ", ".join(part for part in (self.venue, self.room, self.address) if part)


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """What a reader acts on: when, where, and whether it happens."""

    start: str
    end: str
    venue: str | None
    room: str | None
    address: str | None
    status: str

    @classmethod
    def of(cls, meeting: Meeting) -> Snapshot:
        """Take the snapshot of a meeting as it is now."""
        return cls(
            start=meeting.start.isoformat(),
            end=meeting.end.isoformat(),
            venue=meeting.venue,
            room=meeting.room,
            address=meeting.address,
            status=meeting.status.value,
        )

    def dumps(self) -> str:
        """Serialize for the state database."""
        fields = {name: getattr(self, name) for name in self.__slots__}  # no deep copies
        return json.dumps(fields, sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> Snapshot:
        """Read back what :meth:`dumps` wrote."""
        return cls(**json.loads(text))


@dataclass(frozen=True, slots=True, kw_only=True)
class Series:
    """The calendar's settings and its meetings, ordered by start."""

    name: str
    timezone: ZoneInfo
    domain: str
    organizer_name: str
    organizer_email: str
    description: str | None = None
    meetings: tuple[Meeting, ...] = field(default=())

    def __iter__(self) -> Iterator[Meeting]:
        return iter(self.meetings)

    def __len__(self) -> int:
        return len(self.meetings)

    def heading(self) -> tuple[object, ...]:
        """Everything but the meetings: what each file built of the series shares."""
        return (
            self.name,
            self.timezone,
            self.domain,
            self.organizer_name,
            self.organizer_email,
            self.description,
        )

    def get(self, meeting_id: str) -> Meeting | None:
        """Return the meeting with this id, if there is one."""
        return next((m for m in self.meetings if m.id == meeting_id), None)

    @property
    def cities(self) -> tuple[str, ...]:
        """The cities of the series, in order of their first meeting."""
        return tuple(dict.fromkeys(m.city for m in self.meetings))


# A valid meeting as a reading keeps it: its table, the series' zone and name, the meeting.
KeptMeeting = tuple[dict[str, Any], str, Meeting]


@dataclass(slots=True)
class LastReading:
    """What a reader keeps of its last reading of a meetings file: the next reads what changed.

    ``tables`` holds each ``[[meeting]]`` table parsed, by its text (see
    :func:`~reminders.inputs.toml_lines.read_toml`), so an unchanged table is
    the same object next time; ``meetings`` holds each valid meeting by its
    table's identity, with the table (which keeps that identity from being
    reused) and the series' zone and name, the only other things a meeting is
    made of. A reading updates both; an invalid table is never kept.
    """

    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    meetings: dict[int, KeptMeeting] = field(default_factory=dict)
