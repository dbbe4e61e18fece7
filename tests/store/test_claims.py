"""Whose claims may be released at once: a process known dead on this host, nobody else's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from reminders.store.base import holder
from reminders.store.claims import alive


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
