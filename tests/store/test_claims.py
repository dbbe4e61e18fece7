"""A sender's claims: what comes next in a batch, and whose claims may be released at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reminders.kinds import Kind
from reminders.plan import Delivery
from reminders.store import open_state, queue
from reminders.store.base import holder
from reminders.store.claims import Claims, alive

NOW = datetime(2011, 2, 23, 14, tzinfo=UTC)


def test_what_comes_next_is_the_rest_of_the_claimed_batch_in_turn(tmp_path: Path) -> None:
    """The sender makes these ahead; a delivery not yet claimed is nobody's to make."""
    planned = [
        Delivery(
            meeting_id="2011-02-26-worcester",
            kind=Kind("reminder:3d"),
            recipient=f"person{n}@example.org",
            closes=NOW + timedelta(hours=n + 1),  # the earliest-closing are claimed first
        )
        for n in range(5)
    ]
    db = open_state(tmp_path / "state.db")
    queue.enqueue(db, planned, NOW)
    claims = Claims(
        db, planned, batch=3, lease=timedelta(minutes=15), margin=timedelta(0), clock=lambda: NOW
    )
    seen = {
        delivery.recipient[:7]: [coming.recipient[:7] for coming in claims.upcoming(2)]
        for delivery in claims.take(lambda: False)
    }
    db.close()
    assert seen == {
        "person0": ["person1", "person2"],
        "person1": ["person2"],
        "person2": [],
        "person3": ["person4"],
        "person4": [],
    }


def test_this_process_is_alive() -> None:
    assert alive(holder())


def test_a_finished_process_on_this_host_is_dead() -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not alive(f"{socket.gethostname()}:{finished.stdout.strip()}")


def test_another_hosts_process_counts_as_alive_until_its_lease_ends() -> None:
    assert alive(f"elsewhere.example.org:{os.getpid() + 1_000_000}")
