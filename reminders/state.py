"""The state database: one SQLite file, its schema migrations, and transactions.

WAL mode lets readers (``reminders status``) run beside the daemon; every
write happens inside :func:`transaction`. ``PRAGMA user_version`` records how
many of :data:`MIGRATIONS` have run, so a newer release opens an older file
and an older release refuses a newer one instead of damaging it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from reminders.errors import ReminderError

__all__ = ["MIGRATIONS", "StateError", "open_state", "stamp", "transaction"]

# Each entry runs once, in order, in its own transaction; never edit a released one.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
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
    (
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
    (
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
    (
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
)


class StateError(ReminderError):
    """The state database cannot be opened or used."""


def open_state(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the state database at ``path``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The ledger holds subscribers' addresses: readable by the service user alone.
        path.touch(mode=0o600, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None, timeout=10)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        _migrate(connection, path)
    except sqlite3.Error as error:
        raise StateError(f"{path}: state database: {error}") from None
    except OSError as error:
        raise StateError(f"{path}: cannot create the state folder: {error}") from None
    return connection


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StateError(
            f"{path}: state database is at schema {version}, newer than this release "
            f"knows ({len(MIGRATIONS)}); upgrade reminders"
        )
    for number, (_name, script) in enumerate(MIGRATIONS[version:], start=version + 1):
        with transaction(connection):
            for statement in script.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number}")


def stamp(moment: datetime) -> str:
    """Write an instant as the state database stores it: UTC, ISO 8601, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run a block as one write transaction: all of it is committed, or none.

    A database locked by another process past the busy timeout, or a full
    disk, becomes a :class:`StateError` that stops the run with a clear message.
    """
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        raise StateError(f"state database unavailable: {error}") from None
    try:
        yield connection
        connection.execute("COMMIT")
    except sqlite3.OperationalError as error:
        _rollback(connection)
        raise StateError(f"state database write failed: {error}") from None
    except BaseException:
        _rollback(connection)
        raise


def _rollback(connection: sqlite3.Connection) -> None:
    # A failed COMMIT may have rolled back already.
    if connection.in_transaction:
        connection.execute("ROLLBACK")
