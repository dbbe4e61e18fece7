"""The secret that signs links: from the environment, or made once and kept in the store.

``$REMINDERS_SECRET`` holds one key or several separated by spaces, newest
first (each at least 16 characters); the word ``stored`` in that list stands
for the key kept by the store, so an installation that began with the
default can rotate to its own keys and keep old links working. Without the
variable, the stored key is used: a random file ``secret`` made once beside
a SQLite state database (mode 0600), or a row of a PostgreSQL one, so that
every host of a shared deployment signs and checks links alike.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from reminders.errors import ReminderError
from reminders.store.base import Database
from reminders.tokens import Secret

__all__ = ["SECRET_ENV", "load_secret"]

SECRET_ENV = "REMINDERS_SECRET"
SECRET_FILE = "secret"
STORED = "stored"


def load_secret(db: Database) -> Secret:
    """The signing keys, newest first: the environment's list, else the store's own key."""
    listed = os.environ.get(SECRET_ENV, "").split()
    if not listed:
        return Secret((_stored(db),))
    keys = []
    for entry in listed:
        if entry == STORED:
            keys.append(_stored(db))
        elif len(entry) < 16:
            raise ReminderError(f"${SECRET_ENV}: each key must be at least 16 characters long")
        else:
            keys.append(entry.encode("utf-8"))
    return Secret(tuple(keys))


def _stored(db: Database) -> bytes:
    if db.folder is not None:
        return _file_key(db.folder / SECRET_FILE)
    db.execute(
        "INSERT INTO secret (name, value) VALUES ('links', ?) ON CONFLICT (name) DO NOTHING",
        (secrets.token_hex(32),),
    )
    return bytes.fromhex(db.execute("SELECT value FROM secret WHERE name = 'links'").fetchone()[0])


def _file_key(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(32))
    return path.read_bytes()
