"""A sender's claims: what comes next in a batch, and whose claims may be released at once."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reminders.kinds import Kind
from reminders.plan import Delivery
from reminders.store import open_state, queue
from reminders.store.base import holder
from reminders.store.claims import Claims, alive

NOW = datetime(2011, 2, 23, 14, tzinfo=UTC)


def _planned(count: int) -> list[Delivery]:
    return [
        Delivery(
            meeting_id="2011-02-26-worcester",
            kind=Kind("reminder:3d"),
            recipient=f"person{n}@example.org",
            closes=NOW + timedelta(hours=n + 1),  # the earliest-closing are claimed first
        )
        for n in range(count)
    ]


def test_what_comes_next_is_claimed_before_it_is_offered(tmp_path: Path) -> None:
    """The sender makes these ahead: the next batch is claimed as this one ends, not after.

    A delivery not yet claimed is nobody's to make, so each one offered is held
    by this sender already.
    """
    planned = _planned(5)
    db = open_state(tmp_path / "state.db")
    queue.enqueue(db, planned, NOW)
    claims = Claims(
        db, planned, batch=3, lease=timedelta(minutes=15), margin=timedelta(0), clock=lambda: NOW
    )
    seen = {}
    for delivery in claims.take(lambda: False):
        coming = claims.upcoming(2)
        mine = {
            recipient
            for (recipient,) in db.execute(
                "SELECT recipient FROM delivery WHERE claimed_by = ?", (claims.holder,)
            )
        }
        assert {c.recipient for c in coming} <= mine
        seen[delivery.recipient[:7]] = [c.recipient[:7] for c in coming]
    db.close()
    assert seen == {
        "person0": ["person1", "person2"],
        "person1": ["person2", "person3"],
        "person2": ["person3", "person4"],
        "person3": ["person4"],
        "person4": [],
    }


def test_a_batch_near_the_end_of_its_lease_is_given_back_and_the_next_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    planned = _planned(4)
    db = open_state(tmp_path / "state.db")
    queue.enqueue(db, planned, NOW)
    moments = [NOW]
    claims = Claims(
        db,
        planned,
        batch=2,
        lease=timedelta(minutes=15),
        margin=timedelta(0),
        clock=lambda: moments[-1],
    )
    order = []
    with caplog.at_level(logging.WARNING, logger="reminders"):
        for delivery in claims.take(lambda: False):
            order.append(delivery.recipient[:7])
            db.execute(  # sent: as a sender records it
                "UPDATE delivery SET status = 'sent' WHERE recipient = ?", (delivery.recipient,)
            )
            if len(order) == 1:
                moments.append(NOW + timedelta(minutes=1))
                claims.upcoming(2)  # the second batch, claimed a minute after the first
                moments.append(NOW + timedelta(minutes=15))  # the first batch's lease is up
    db.close()
    # Only the first batch's last claim is given back (and claimed again at the end).
    assert order == ["person0", "person2", "person3", "person1"]
    assert "giving back 1 claims" in caplog.text


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
