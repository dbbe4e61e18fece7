"""The state store's interface: what every engine offers, and the small helpers they share.

Everything the tool remembers (revisions, the delivery ledger and work
queue, what people were told, sign-ups) is plain SQL written once, with
``?`` placeholders (so no SQL text holds a literal ``?`` or ``%``), against
:class:`Database`. :mod:`reminders.store.sqlite` (the embedded default, one
daemon) and :mod:`reminders.store.postgres` (several daemons on one or
several hosts) implement it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, Self
from urllib.parse import urlsplit, urlunsplit

from reminders.errors import ReminderError

__all__ = [
    "Database",
    "Rows",
    "StateError",
    "describe",
    "holder",
    "is_server",
    "stamp",
]


class StateError(ReminderError):
    """The state database cannot be opened or used."""


class Rows(Protocol):
    """What a statement returns: its rows, and how many rows it changed."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    """An open state database."""

    name: str  # for messages: the file, or the server URL without its password
    folder: Path | None  # the SQLite file's folder, where its secret lives; None on a server
    shared: bool  # True when several daemons may work on it at once
    lock_rows: str  # the clause that lets concurrent claims skip each other's rows

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Rows:
        """Run one statement (a transaction of its own outside :meth:`transaction`)."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each row of parameters."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Run a block as one write transaction: all of it is committed, or none."""
        ...

    def many_writes(self) -> AbstractContextManager[None]:
        """Run a block of many small transactions (a send run) at their own pace.

        Housekeeping the database would do inside some of their commits (SQLite
        folding its log back into the file) is done beside them instead.
        """
        ...

    def close(self) -> None:
        """Release the connection."""
        ...

    def still_there(self) -> None:
        """Raise :class:`StateError` if the database went away since it was opened."""
        ...

    def __enter__(self) -> Self:
        """Use the store for a block: a command, a tick or a request."""
        ...

    def __exit__(self, *exc: object) -> None:
        """Close the store at the end of the block, however it ends."""
        ...


def is_server(location: Path | str) -> bool:
    """True when the ``state`` setting names a PostgreSQL server rather than a file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def describe(location: Path | str) -> str:
    """The location for messages and logs: a server URL loses its password."""
    if not is_server(location):
        return str(location)
    parts = urlsplit(str(location))
    if parts.password is None:
        return str(location)
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + parts.netloc.rpartition("@")[2]))


def stamp(moment: datetime) -> str:
    """Write an instant as the state database stores it: UTC, ISO 8601, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def holder() -> str:
    """This process's name on the claims it takes: host and pid, never anything personal."""
    return f"{socket.gethostname()}:{os.getpid()}"
