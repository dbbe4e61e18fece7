"""The shared state store: a PostgreSQL server several daemons work on at once.

Selected by ``state = "postgresql://..."`` (or ``$REMINDERS_STATE``); the
password comes from libpq's own ``$PGPASSWORD`` or ``~/.pgpass``, never the
settings file. Statements run in autocommit mode unless inside
:meth:`ServerState.transaction` (READ COMMITTED, the server's default), and
claims use ``FOR UPDATE SKIP LOCKED`` so daemons claiming at the same moment
take different rows. Migrations run under an advisory lock taken before the
``schema_version`` table is created, so daemons starting together migrate once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Self

from reminders.store.base import StateError, describe
from reminders.store.migrations import MIGRATIONS, statements

try:
    import psycopg
    from psycopg import errors
except ImportError:  # pragma: no cover - exercised only without the extra installed
    psycopg = None  # type: ignore[assignment]

__all__ = ["ServerState"]

# The advisory lock migrators take ("reminder" in ASCII, a 64-bit key of our own).
_MIGRATION_LOCK = int.from_bytes(b"reminder", "big")


class ServerState:
    """A connection to the PostgreSQL state database, migrated on opening."""

    shared = True
    lock_rows = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str) -> None:
        self.name = describe(url)
        self.folder: Path | None = None
        if psycopg is None:
            raise StateError(
                f"{self.name}: PostgreSQL state needs psycopg: pip install 'reminders[postgresql]'"
            )
        self._sql: dict[str, str] = {}
        try:
            self.connection = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=10,
                application_name="reminders",
                # Like SQLite's busy timeout: wait for a lock this long, then fail clearly.
                options="-c lock_timeout=10s",
            )
        except psycopg.Error as error:
            raise StateError(f"{self.name}: cannot connect: {_first_line(error)}") from None
        try:
            self._migrate()
        except psycopg.Error as error:
            self.connection.close()
            raise StateError(f"{self.name}: migration failed: {_first_line(error)}") from None

    def _migrate(self) -> None:
        # Every connection comes here: an up-to-date schema costs one read and no lock.
        if self._version() == len(MIGRATIONS):
            return
        with self.connection.transaction():
            # One migrator at a time from before the first CREATE: two daemons creating
            # the table at once can fail on PostgreSQL's catalog ("type already exists"),
            # IF NOT EXISTS or not. The lock ends with the transaction.
            self.connection.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            self.connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
            )
            # Earlier releases migrate under this lock alone: it keeps them out too.
            self.connection.execute("LOCK TABLE schema_version IN EXCLUSIVE MODE")
            row = self.connection.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                self.connection.execute("INSERT INTO schema_version VALUES (0)")
            version = row[0] if row else 0
            self._refuse_newer(version)
            for migration in MIGRATIONS[version:]:
                for statement in statements(migration.postgresql):
                    self.connection.execute(statement.encode("utf-8"))
            self.connection.execute("UPDATE schema_version SET version = %s", (len(MIGRATIONS),))

    def _version(self) -> int | None:
        """The schema's version, or None before the first migration."""
        try:
            row = self.connection.execute("SELECT version FROM schema_version").fetchone()
        except errors.UndefinedTable:
            return None
        if row is not None:
            self._refuse_newer(row[0])
        return row[0] if row else None

    def _refuse_newer(self, version: int) -> None:
        if version > len(MIGRATIONS):
            raise StateError(
                f"{self.name}: state database is at schema {version}, newer than this "
                f"release knows ({len(MIGRATIONS)}); upgrade reminders"
            )

    def _translate(self, sql: str) -> str:
        # One SQL text serves both engines: SQLite's ? becomes psycopg's %s.
        translated = self._sql.get(sql)
        if translated is None:
            translated = self._sql[sql] = sql.replace("?", "%s")
        return translated

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        try:
            return self.connection.execute(self._translate(sql), parameters)
        except psycopg.Error as error:
            raise StateError(f"{self.name}: {_first_line(error)}") from None

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            with self.connection.cursor() as cursor:
                cursor.executemany(self._translate(sql), rows)
        except psycopg.Error as error:
            raise StateError(f"{self.name}: {_first_line(error)}") from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All of the block is committed, or none of it."""
        try:
            with self.connection.transaction():
                yield
        except psycopg.Error as error:
            raise StateError(f"{self.name}: write failed: {_first_line(error)}") from None

    def many_writes(self) -> AbstractContextManager[None]:
        """Nothing to move aside: the server writes its log back on its own."""
        return nullcontext()

    def close(self) -> None:
        self.connection.close()

    def still_there(self) -> None:
        """A server's database cannot be deleted from under an open connection unnoticed."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
