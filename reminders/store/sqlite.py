"""The embedded state store: one SQLite file beside the daemon.

WAL mode lets readers (``reminders status``) run beside the daemon; every
write happens inside :meth:`FileState.transaction`, which takes SQLite's
write lock at once (``BEGIN IMMEDIATE``) so two writers queue instead of
failing halfway. ``PRAGMA user_version`` records how many migrations have
run, so a newer release opens an older file and an older release refuses a
newer one instead of damaging it. One daemon uses a file at a time (see
:func:`reminders.daemon.hold_lock`).

SQLite folds the WAL back into the file (a checkpoint, with a sync) inside the
commit that grows the log past a thousand pages, about 9 ms here. In a send run,
which commits once a message, each of those is time the next message waits, so
:meth:`FileState.many_writes` hands checkpoints to a thread of their own for the
block. A passive checkpoint takes no lock a writer waits for.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Self

from reminders.store.base import StateError
from reminders.store.migrations import MIGRATIONS, statements

__all__ = ["FileState"]

log = logging.getLogger(__name__)

# How often the checkpoint thread folds the log back: a tenth of a second's commits
# keep the log to a few hundred pages.
CHECKPOINT_EVERY = 0.1


class FileState:
    """A SQLite state file, created and migrated on opening."""

    shared = False
    lock_rows = ""  # SQLite has one writer at a time: a claim never meets another

    def __init__(self, path: Path) -> None:
        self.name = str(path)
        self.folder: Path | None = path.parent
        self.path = path
        self._depth = 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # The ledger holds subscribers' addresses: readable by the service user alone.
            path.touch(mode=0o600, exist_ok=True)
            self.identity = _file_identity(path)
            self.connection = sqlite3.connect(path, isolation_level=None, timeout=10)
            self.connection.execute("PRAGMA journal_mode = WAL")
            self.connection.execute("PRAGMA synchronous = NORMAL")
            self.connection.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise StateError(_damaged(path, error)) from None
        except OSError as error:
            raise StateError(f"{path}: cannot open the state database: {error.strerror}") from None

    def _migrate(self) -> None:
        version = self.connection.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StateError(
                f"{self.name}: state database is at schema {version}, newer than this "
                f"release knows ({len(MIGRATIONS)}); upgrade reminders"
            )
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                for statement in statements(migration.sqlite):
                    self.connection.execute(statement)
                self.connection.execute(f"PRAGMA user_version = {number}")

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.connection.execute(sql, parameters)
        except sqlite3.OperationalError as error:
            raise StateError(f"{self.name}: state database: {error}") from None
        except sqlite3.DatabaseError as error:
            raise StateError(_damaged(self.path, error)) from None

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self.connection.executemany(sql, rows)
        except sqlite3.OperationalError as error:
            raise StateError(f"{self.name}: state database: {error}") from None
        except sqlite3.DatabaseError as error:
            raise StateError(_damaged(self.path, error)) from None

    def still_there(self) -> None:
        """Raise :class:`StateError` if the file was deleted or replaced since it was opened.

        SQLite would go on writing to the deleted file, and the next run would
        start an empty ledger and send everything again.
        """
        try:
            same = _file_identity(self.path) == self.identity
        except OSError:
            same = False
        if not same:
            raise StateError(
                f"{self.path}: the state database was deleted or replaced while in use; "
                "stopping before anything more is sent (restore it from a backup)"
            )

    def backup(self, target: Path) -> None:
        """Copy the database, consistent, while it may be in use (SQLite's online backup)."""
        try:
            copy = sqlite3.connect(target)
            try:
                self.connection.backup(copy)
            finally:
                copy.close()
        except sqlite3.Error as error:
            raise StateError(f"{target}: cannot write the backup: {error}") from None
        target.chmod(0o600)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All of the block is committed, or none of it.

        A database locked by another process past the busy timeout, or a full
        disk, becomes a :class:`StateError` that stops the run with a clear message.
        Inside another transaction, the block is a savepoint of it (as in psycopg).
        """
        if self.connection.in_transaction:
            yield from self._savepoint()
            return
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StateError(f"state database unavailable: {error}") from None
        try:
            yield
            self.connection.execute("COMMIT")
        except sqlite3.OperationalError as error:
            self._rollback()
            raise StateError(f"state database write failed: {error}") from None
        except BaseException:
            self._rollback()
            raise

    @contextmanager
    def many_writes(self) -> Iterator[None]:
        """Run the block with checkpoints on a thread beside it, not in its commits."""
        pages = int(self.connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        try:
            # Opened here and never created: a file deleted meanwhile is not made anew.
            own = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=rw",
                uri=True,
                isolation_level=None,
                timeout=10,
                check_same_thread=False,
            )
        except sqlite3.Error as error:
            raise StateError(f"{self.name}: state database unavailable: {error}") from None
        done = threading.Event()
        checkpoints = threading.Thread(
            target=self._checkpoint_until, args=(own, done), name="checkpoint", daemon=True
        )
        self.connection.execute("PRAGMA wal_autocheckpoint = 0")
        checkpoints.start()
        try:
            yield
        finally:
            done.set()
            checkpoints.join()
            self.connection.execute(f"PRAGMA wal_autocheckpoint = {pages}")

    def _checkpoint_until(self, own: sqlite3.Connection, done: threading.Event) -> None:
        with closing(own):
            try:
                while not done.wait(CHECKPOINT_EVERY):
                    own.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as error:  # the commits go on; the log is folded back at close
                log.warning("%s: checkpoints stopped: %s", self.name, error)

    def _savepoint(self) -> Iterator[None]:
        self._depth += 1
        name = f"nested_{self._depth}"
        self.connection.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.connection.execute(f"ROLLBACK TO {name}")
            raise
        finally:
            self.connection.execute(f"RELEASE {name}")
            self._depth -= 1

    def _rollback(self) -> None:
        # A failed COMMIT may have rolled back already.
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _file_identity(path: Path) -> tuple[int, int]:
    info = path.stat()
    return (info.st_dev, info.st_ino)


def _damaged(path: Path, error: sqlite3.DatabaseError) -> str:
    return (
        f"{path}: the state database cannot be read ({error}); restore it from a backup "
        "(see 'reminders backup'), or move it aside to start a new one with --fresh-state"
    )
