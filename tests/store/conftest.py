"""The engines every storage test runs against: a SQLite file and a PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reminders.store import open_state
from reminders.store.base import Database
from tests.support.pgserver import PostgresServer


@pytest.fixture(params=["sqlite", "postgresql"])
def location(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresServer
) -> Path | str:
    """Where a fresh state database lives: a file, or a new database on the server."""
    return tmp_path / "state.db" if request.param == "sqlite" else postgres.database()


@pytest.fixture
def db(location: Path | str) -> Iterator[Database]:
    opened = open_state(location)
    yield opened
    opened.close()


@pytest.fixture
def second(location: Path | str, db: Database) -> Iterator[Database]:
    """Another connection to the same database, as a second daemon would hold."""
    opened = open_state(location)
    yield opened
    opened.close()
