"""Noticing a lost state database, so that losing ``state.db`` cannot resend a season.

Each state database has a random id. Every build writes it into a small file
beside the public folder (``public.state-id``); ``send`` and the daemon
compare the two before sending. A database that is new and empty where an
earlier one existed (the file names another id) means the ledger was lost:
sending then would mail everyone again, so it is refused unless the operator
says ``--fresh-state``. A backup restored keeps its id and passes.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from reminders.files import write_atomically
from reminders.store.base import Database, StateError

__all__ = ["check_lineage", "mark", "marker_for", "state_id"]


def state_id(db: Database) -> str:
    """This state database's id, made on first use."""
    db.execute(
        "INSERT INTO meta (name, value) VALUES ('state id', ?) ON CONFLICT (name) DO NOTHING",
        (secrets.token_hex(8),),
    )
    return str(db.execute("SELECT value FROM meta WHERE name = 'state id'").fetchone()[0])


def marker_for(public: Path) -> Path:
    """Where the id is written: a file beside the public folder, never served."""
    return public.with_name(public.name + ".state-id")


def mark(db: Database, marker: Path) -> None:
    """Record this database's id beside the public folder."""
    text = state_id(db) + "\n"
    if not marker.is_file() or marker.read_text(encoding="utf-8") != text:
        write_atomically(marker, text)


def check_lineage(db: Database, marker: Path, fresh: bool) -> None:
    """Refuse a new, empty ledger where an earlier state database existed, unless ``fresh``."""
    current = state_id(db)
    try:
        earlier = marker.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        earlier = current
    if earlier == current:
        return
    empty = db.execute("SELECT count(*) FROM delivery").fetchone()[0] == 0
    if empty and not fresh:
        raise StateError(
            f"{db.name} is a new, empty state database, but {marker} names another one "
            f"({earlier}) that this installation used: sending now would mail everyone again. "
            "Restore the earlier database from its backup, or pass --fresh-state to start anew"
        )
    mark(db, marker)
