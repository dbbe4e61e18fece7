"""The public folder's serialized pieces: each made once a build, and kept between builds.

A build puts one meeting into several files (the series feed, its city's, its
own .ics, each language's feed) and an article on each landing page, and
making those is most of what a build costs. So each piece (a VEVENT, a
VTIMEZONE, a page's article) is made once and its bytes
spliced into every file that holds it, which gives the same bytes as making
each file whole (``tests/publish/test_pieces.py`` holds the two equal).

A piece is kept under a key (:func:`piece_key`) made of everything it is made
of, so a kept piece can never be stale: anything that would change its bytes
is a new key. Between commands the pieces are kept in a file beside the
public folder (:func:`pieces_file`), an SQLite database that a build
updates by the difference; a file that cannot be read, or was written by
another format or by other code of this package (a digest of its modules'
source), is ignored and the build starts cold. A VTIMEZONE is kept
for the run only: its bytes follow the system's zone data, which can change
between runs without a trace in any key.

A process that builds again and again (the daemon) also remembers, by
:class:`Memo`, which key each meeting's event had and which bytes its file and
articles were: a meeting an edit left alone is the very object of the build
before (:class:`reminders.inputs.meetings.LastReading`), and telling that
costs a fraction of working out its key again.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sqlite3
from collections.abc import Callable, Hashable, Iterable, Set
from contextlib import closing, suppress
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar
from zoneinfo import ZoneInfo

import icalendar
from markupsafe import Markup

import reminders
from reminders.publish.contentlines import serialized
from reminders.publish.timezones import vtimezone

if TYPE_CHECKING:
    from reminders.publish.calendars import Made

__all__ = ["FORMAT", "Held", "Memo", "Pieces", "piece_key", "pieces_file", "zone_bytes"]

log = logging.getLogger(__name__)

# Part of every key: bump the number when a piece changes shape.
FORMAT = f"3/{icalendar.__version__}"


def piece_key(*parts: object) -> str:
    """A piece's key: its inputs, with the format, hashed.

    The parts are strings, numbers, None and frozen dataclasses, whose tuple's
    ``repr`` names each one unambiguously (``None`` is not ``'None'``).
    """
    return hashlib.sha256(repr((FORMAT, *parts)).encode("utf-8")).hexdigest()


@functools.cache
def _code() -> str:
    """A digest of the package's modules: pieces kept by other code are never used."""
    root = Path(reminders.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def pieces_file(public: Path) -> Path:
    """Where a build keeps its pieces: beside the public folder, never served."""
    return public.with_name(public.name + ".pieces")


@functools.lru_cache(maxsize=256)
def zone_bytes(zone: ZoneInfo, first_year: int, last_year: int) -> bytes:
    """A VTIMEZONE covering the years (its rules depend on the years alone)."""
    return serialized(vtimezone(zone, date(first_year, 1, 1), date(last_year, 1, 1)))


V = TypeVar("V")


class Memo(Generic[V]):
    """Values by name, each given again while what it was made from is equal.

    ``basis`` is a tuple of what the value is made of; tuples compare item by
    item, identity first, so a basis of unchanged objects costs next to
    nothing to check. Only the names used since the last :meth:`end` are
    remembered after it. Names are best strings: a new tuple for each name on
    every build would be kept, and walked by the cycle collector.
    """

    def __init__(self) -> None:
        self._last: dict[Hashable, tuple[tuple[object, ...], V]] = {}
        self._now: dict[Hashable, tuple[tuple[object, ...], V]] = {}

    def get(self, name: Hashable, basis: tuple[object, ...], make: Callable[[], V]) -> V:
        """The value under ``name`` if it was made from an equal ``basis``, or ``make()``."""
        return self.remake(name, basis, lambda before: make())

    def remake(self, name: Hashable, basis: tuple[object, ...], make: Callable[[V | None], V]) -> V:
        """As :meth:`get`, but ``make`` is given the value last made under ``name``, if any."""
        held = self._now.get(name) or self._last.get(name)
        if held is None or held[0] != basis:
            held = (basis, make(held[1] if held else None))
        # The entry itself is kept, not a new one: what a long-lived process keeps
        # between builds should be what changed, or the cycle collector walks it all.
        self._now[name] = held
        return held[1]

    def end(self) -> None:
        """End a build: forget what it did not use."""
        self._last, self._now = self._now, {}


class Held(Generic[V]):
    """Values by the object each was made for and one thing more, compared by identity first.

    Where each value belongs to one object of the build (a meeting, which an
    edit leaves the very object of the build before), telling that it still
    holds costs a lookup and two identity checks, where a :class:`Memo` also
    makes a name and a basis for it. What all the values share is given once
    a build (:meth:`begin`); only the objects used since the last :meth:`end`
    are remembered after it.
    """

    def __init__(self) -> None:
        self._shared: object = None
        self._last: dict[int, tuple[object, object, V]] = {}  # by id(): the entry keeps it
        self._now: dict[int, tuple[object, object, V]] = {}

    def begin(self, shared: object) -> None:
        """Start a build whose values are also made of ``shared``; if it changed, forget all."""
        if shared != self._shared:
            self._shared, self._last, self._now = shared, {}, {}

    def get(self, thing: object, extra: object, make: Callable[..., V], *args: object) -> V:
        """The value made for ``thing`` and an equal ``extra``, or ``make(*args)``."""
        held = self._now.get(id(thing)) or self._last.get(id(thing))
        if held is None or held[0] is not thing or (held[1] is not extra and held[1] != extra):
            held = (thing, extra, make(*args))
        self._now[id(thing)] = held  # the entry found, not a new one (see Memo.get)
        return held[2]

    def end(self) -> None:
        """End a build: forget what it did not use."""
        self._last, self._now = self._now, {}


class Pieces:
    """Pieces by key: those kept from earlier builds, and those used now.

    One object can serve build after build (the daemon keeps one): :meth:`save`
    ends a build. ``files``, ``feeds``, ``articles`` and ``prints`` remember,
    in this process only, each meeting's own file, the feeds as they were made,
    the articles and each meeting's fingerprint (see :class:`Memo` and
    :class:`Held`).
    """

    def __init__(self, kept: dict[str, bytes] | None = None) -> None:
        self.kept = kept or {}
        self.used: dict[str, bytes] = {}
        self.events: Memo[str] = Memo()
        self.files: Held[bytes] = Held()
        self.feeds: Memo[Made] = Memo()
        self.articles: Memo[tuple[str, Markup, bytes]] = Memo()
        self.prints: Held[str] = Held()
        self.made = 0  # events serialized in this build (the other pieces are not counted)
        self._filed: tuple[Path, dict[str, bytes]] | None = None  # a file a save left behind

    def event(
        self,
        name: str,
        basis: tuple[object, ...],
        describe: Callable[[], tuple[str, Callable[[], bytes]]],
    ) -> tuple[str, bytes]:
        """The key and piece of a meeting in a language; ``describe`` gives the key and a maker.

        The key needs what the calendar shows of the meeting, which takes as long
        to work out as the rest: it is worked out again only when ``basis`` (what
        the key is made of) changed, not for each file that holds the meeting.
        """
        makers: list[Callable[[], bytes]] = []

        def key() -> str:
            found, make = describe()
            makers.append(make)
            return found

        # Only the key is remembered: a maker holds the series it was made for, and
        # keeping it would keep every reading's series alive for as long as the event.
        known = self.events.get(name, basis, key)
        piece = self.used.get(known) or self.kept.get(known)
        if piece is None:
            self.made += 1
            piece = (makers[0] if makers else describe()[1])()
        self.used[known] = piece
        return known, piece

    def get(self, key: str, make: Callable[[], bytes]) -> bytes:
        """The piece under ``key``, made by ``make`` only if no build made it before."""
        found = self.used.get(key) or self.kept.get(key)
        if found is None:
            found = make()
        self.used[key] = found
        return found

    def use(self, key: str, piece: bytes) -> None:
        """Keep ``piece``, which this build or an earlier one made, under ``key``."""
        self.used[key] = piece

    def use_all(self, pieces: Iterable[tuple[str, bytes]]) -> None:
        """Keep each piece under its key (see :meth:`use`)."""
        self.used.update(pieces)

    @classmethod
    def load(cls, path: Path) -> Pieces:
        """The pieces kept at ``path``; none if it is missing, unreadable, or of other code."""
        if not path.is_file():
            return cls()
        try:
            with closing(sqlite3.connect(path)) as db:
                if db.execute("SELECT format, code FROM made").fetchall() != [(FORMAT, _code())]:
                    return cls()
                return cls(dict(db.execute("SELECT key, data FROM piece")))
        except sqlite3.Error:
            return cls()

    def save(self, path: Path, *, later: bool = False) -> None:
        """End a build: keep the pieces it used (those of the past fall away), in ``path`` too.

        Only the difference is written, so saving after one edit costs what the
        edit changed, not what the series holds. With ``later``, the file is
        written by :meth:`flush` instead: a daemon writes it on a tick that
        builds nothing, not on the one that publishes an edit. The keys name
        their contents, so a file a build or two behind is never wrong, only
        short of what those builds made.
        """
        if self._filed is not None and self._filed[0] != path:
            self.flush()
        if self._filed is None:
            self._filed = (path, self.kept)  # what the file holds: the pieces last written
        self.kept, self.used, self.made = self.used, {}, 0
        for memo in (self.events, self.files, self.feeds, self.articles, self.prints):
            memo.end()
        if not later:
            self.flush()

    def flush(self) -> None:
        """Bring the file up to date with the last build's pieces, if a save left it behind."""
        if self._filed is None:
            return
        (path, filed), self._filed = self._filed, None
        gone, new = filed.keys() - self.kept.keys(), self.kept.keys() - filed.keys()
        if gone or new or not path.is_file():
            try:
                self._write(path, self.kept, gone, new)
            except sqlite3.Error:  # not a database, or a damaged one: start it again
                self._drop(path)
                try:
                    self._write(path, self.kept, set(), set())  # a new file takes every piece
                except sqlite3.Error as error:  # a full disk, say: the next build is cold
                    self._drop(path)
                    log.warning("%s: cannot keep the build's pieces (%s)", path, error)

    @staticmethod
    def _drop(path: Path) -> None:
        with suppress(OSError):  # what is there is not ours to clear (a folder, say)
            path.unlink(missing_ok=True)

    @staticmethod
    def _write(path: Path, pieces: dict[str, bytes], gone: Set[str], new: Set[str]) -> None:
        with closing(sqlite3.connect(path, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("CREATE TABLE IF NOT EXISTS made (format TEXT, code TEXT)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS piece (key TEXT PRIMARY KEY, data BLOB NOT NULL)"
            )
            mine = db.execute("SELECT format, code FROM made").fetchall() == [(FORMAT, _code())]
            insert = "INSERT OR REPLACE INTO piece VALUES (?, ?)"
            if mine:
                db.executemany("DELETE FROM piece WHERE key = ?", ((key,) for key in gone))
                db.executemany(insert, ((key, pieces[key]) for key in new))
            # Another version's pieces, or another builder's beside this one's: keep exactly
            # this build's.
            if not mine or db.execute("SELECT count(*) FROM piece").fetchone()[0] != len(pieces):
                db.execute("DELETE FROM made")
                db.execute("INSERT INTO made VALUES (?, ?)", (FORMAT, _code()))
                db.execute("DELETE FROM piece")
                db.executemany(insert, pieces.items())
            db.execute("COMMIT")
