"""Tables a long-lived process keeps a copy of, and the edition that tells it still holds.

A daemon reads every meeting's revision and venue watch each tick, ten
thousand rows that seldom change, while another process (a command, a second
daemon on PostgreSQL) may change them at any moment. So every write of such a
table also gives it a new edition, a random token, in the same transaction;
a reader that finds the edition it last saw keeps its copy, and reads the
table again otherwise. The token is random rather than counted so that no
other history (a restored backup, a state file made anew) can come back to
it with other rows: a copy is used only at the very write it was read at.

A process that writes the table updates its copy with what it wrote when the
edition was still the copy's (compare-and-set); a write in between, or a
transaction that rolls back, leaves the table at an edition the copy does not
hold, and the next read starts over.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from reminders.store.base import Database

__all__ = ["Copy", "edition", "renew"]

V = TypeVar("V")


def edition(db: Database, table: str) -> str:
    """The table's edition: "" until the first write since editions began."""
    row = db.execute("SELECT token FROM edition WHERE name = ?", (table,)).fetchone()
    return "" if row is None else str(row[0])


class Copy(Generic[V]):
    """A table's rows by key, as this process last read or wrote them."""

    def __init__(self, table: str, load: Callable[[Database], dict[str, V]]) -> None:
        self.table = table
        self._load = load
        self._edition: str | None = None  # None: nothing read yet
        self._rows: Mapping[str, V] = {}

    def read(self, db: Database) -> Mapping[str, V]:
        """The table's rows now: the copy while its edition stands, else read again."""
        # The edition first: a write between the two statements leaves the copy under an
        # older edition than its rows, which only means reading them once more.
        now = edition(db, self.table)
        if now != self._edition:
            self._rows, self._edition = self._load(db), now
        return self._rows

    def wrote(self, db: Database, rows: Mapping[str, V]) -> bool:
        """Take ``rows``, just written, if the table was at this copy's edition; else forget.

        In the writer's transaction: True when the table has a new edition and
        the copy holds it, False when the caller must still give it one (:func:`renew`).
        """
        token = secrets.token_hex(16)
        if self._edition is not None and _advance(db, self.table, self._edition, token):
            self._rows, self._edition = {**self._rows, **rows}, token
            return True
        self._rows, self._edition = {}, None
        return False


def _advance(db: Database, table: str, edition: str, token: str) -> bool:
    """Move the table from ``edition`` to ``token`` if it is still at it."""
    if edition == "":  # read before any write made an edition: the first writer makes one
        took = db.execute(
            "INSERT INTO edition (name, token) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (table, token),
        )
    else:  # on PostgreSQL, a write committed meanwhile makes this match nothing
        took = db.execute(
            "UPDATE edition SET token = ? WHERE name = ? AND token = ?", (token, table, edition)
        )
    return bool(took.rowcount)


def renew(db: Database, table: str, rows: Mapping[str, V], copy: Copy[V] | None = None) -> None:
    """Give ``table`` a new edition after writing ``rows`` to it, in the writer's transaction.

    ``copy`` takes the rows if it held the edition they were written over.
    """
    if copy is not None and copy.wrote(db, rows):
        return
    db.execute(
        "INSERT INTO edition (name, token) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET token = excluded.token",
        (table, secrets.token_hex(16)),
    )
