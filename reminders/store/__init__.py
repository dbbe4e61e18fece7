"""The state store: where the tool remembers what it did, on SQLite or PostgreSQL.

:func:`open_state` is the one way in; the command line, a daemon tick and a
web request each open the store once and hand it down. ``base`` is the
interface, ``migrations`` the schema's history, ``sqlite`` and ``postgres``
the engines; ``ledger``, ``claims``, ``signups`` and ``secret`` are what is
kept in it.
"""

from __future__ import annotations

from pathlib import Path

from reminders.store.base import Database, StateError, describe, is_server

__all__ = ["Database", "StateError", "describe", "is_server", "open_state"]


def open_state(location: Path | str) -> Database:
    """Open (creating if needed) and migrate the state database ``location`` names."""
    if is_server(location):
        from reminders.store.postgres import ServerState

        return ServerState(str(location))
    from reminders.store.sqlite import FileState

    return FileState(Path(location))
