"""The state store: one small interface over a SQLite file or a PostgreSQL server.

Everything the tool remembers (revisions, the delivery ledger and work
queue, what people were told, sign-ups) is plain SQL written once, with
``?`` placeholders (so no SQL text holds a literal ``?`` or ``%``), against
:class:`Database`. :mod:`reminders.statefile`
(SQLite, the embedded default, one daemon) and :mod:`reminders.stateserver`
(PostgreSQL, several daemons on one or several hosts) implement it, and
:data:`MIGRATIONS` evolves both schemas in step: migration N means the same
tables on either engine.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from reminders.errors import ReminderError

__all__ = [
    "MIGRATIONS",
    "Database",
    "Migration",
    "Rows",
    "StateError",
    "describe",
    "holder",
    "is_server",
    "open_state",
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

    def close(self) -> None:
        """Release the connection."""
        ...


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step, as each engine spells it."""

    name: str
    sqlite: str
    postgresql: str


def _portable(name: str, script: str) -> Migration:
    # WITHOUT ROWID is SQLite's clustered table; PostgreSQL has no such clause.
    return Migration(name, script, script.replace(" WITHOUT ROWID", ""))


# Each entry runs once, in order, in its own transaction; never edit a released one.
MIGRATIONS: tuple[Migration, ...] = (
    _portable(
        "event revisions",
        """
        CREATE TABLE revision (
            meeting_id  TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            sequence    INTEGER NOT NULL,
            modified    TEXT NOT NULL
        );
        """,
    ),
    _portable(
        "delivery ledger and suppressions",
        """
        CREATE TABLE delivery (
            meeting_id  TEXT NOT NULL,
            kind        TEXT NOT NULL,
            recipient   TEXT NOT NULL,
            status      TEXT NOT NULL CHECK (status IN ('sent', 'failed', 'retry')),
            attempts    INTEGER NOT NULL DEFAULT 0,
            last_error  TEXT,
            message_id  TEXT,
            updated     TEXT NOT NULL,
            retry_after TEXT,
            PRIMARY KEY (meeting_id, kind, recipient)
        ) WITHOUT ROWID;
        CREATE TABLE suppression (
            recipient TEXT PRIMARY KEY,
            reason    TEXT NOT NULL,
            created   TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    _portable(
        "what each person was told, and when TBD venues became known",
        """
        CREATE TABLE told (
            meeting_id TEXT NOT NULL,
            recipient  TEXT NOT NULL,
            snapshot   TEXT NOT NULL,
            updated    TEXT NOT NULL,
            PRIMARY KEY (meeting_id, recipient)
        ) WITHOUT ROWID;
        CREATE INDEX told_states ON told (meeting_id, snapshot);
        CREATE TABLE watch (
            meeting_id TEXT PRIMARY KEY,
            tbd_seen   INTEGER NOT NULL,
            known_at   TEXT,
            base       TEXT
        ) WITHOUT ROWID;
        """,
    ),
    _portable(
        "sign-ups through the web",
        """
        CREATE TABLE signup (
            id       TEXT PRIMARY KEY,
            email    TEXT NOT NULL,
            name     TEXT NOT NULL,
            language TEXT NOT NULL,
            cities   TEXT NOT NULL,
            created  TEXT NOT NULL,
            expires  TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX signup_email ON signup (email);
        CREATE TABLE subscriber (
            recipient TEXT PRIMARY KEY,
            email     TEXT NOT NULL,
            name      TEXT NOT NULL,
            language  TEXT NOT NULL,
            cities    TEXT NOT NULL,
            updated   TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        "the ledger becomes a work queue; leases; a shared signing secret",
        # SQLite cannot alter a CHECK constraint: the table is copied instead.
        """
        CREATE TABLE delivery_queue (
            meeting_id  TEXT NOT NULL,
            kind        TEXT NOT NULL,
            recipient   TEXT NOT NULL,
            status      TEXT NOT NULL CHECK (status IN ('due', 'sent', 'failed', 'retry')),
            attempts    INTEGER NOT NULL DEFAULT 0,
            last_error  TEXT,
            message_id  TEXT,
            updated     TEXT NOT NULL,
            retry_after TEXT,
            closes      TEXT,
            claimed_by  TEXT,
            lease_until TEXT,
            PRIMARY KEY (meeting_id, kind, recipient)
        ) WITHOUT ROWID;
        INSERT INTO delivery_queue (meeting_id, kind, recipient, status, attempts, last_error,
            message_id, updated, retry_after)
            SELECT meeting_id, kind, recipient, status, attempts, last_error, message_id,
            updated, retry_after FROM delivery;
        DROP TABLE delivery;
        ALTER TABLE delivery_queue RENAME TO delivery;
        CREATE INDEX delivery_open ON delivery (closes) WHERE status IN ('due', 'retry');
        CREATE TABLE lease (
            name   TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            until  TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE secret (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
        """
        ALTER TABLE delivery DROP CONSTRAINT delivery_status_check;
        ALTER TABLE delivery ADD CONSTRAINT delivery_status_check
            CHECK (status IN ('due', 'sent', 'failed', 'retry'));
        ALTER TABLE delivery ADD COLUMN closes TEXT;
        ALTER TABLE delivery ADD COLUMN claimed_by TEXT;
        ALTER TABLE delivery ADD COLUMN lease_until TEXT;
        CREATE INDEX delivery_open ON delivery (closes) WHERE status IN ('due', 'retry');
        CREATE TABLE lease (
            name   TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            until  TEXT NOT NULL
        );
        CREATE TABLE secret (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
)


def statements(script: str) -> list[str]:
    """A migration's statements (none of ours holds a semicolon inside)."""
    return [statement for statement in script.split(";") if statement.strip()]


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


def open_state(location: Path | str) -> Database:
    """Open (creating if needed) and migrate the state database ``location`` names."""
    if is_server(location):
        from reminders.stateserver import ServerState

        return ServerState(str(location))
    from reminders.statefile import FileState

    return FileState(Path(location))


def stamp(moment: datetime) -> str:
    """Write an instant as the state database stores it: UTC, ISO 8601, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def holder() -> str:
    """This process's name on the claims it takes: host and pid, never anything personal."""
    return f"{socket.gethostname()}:{os.getpid()}"
