"""Whole `reminders build` commands against their floor, cold and after one edit.

The floor is what no build can go below: a process that starts, imports
icalendar and serializes each distinct event once (per usable language; the
default settings use English only) with the bare library. Both sides are
timed as whole processes, start to exit.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

__all__ = ["build_rows", "daemon_rows"]

CITIES = ("Worcester", "Framingham", "Lawrence", "Waltham", "Chelsea")
CITIES += ("Brockton", "Lowell", "New Bedford", "Springfield", "Boston")
NOW = "2011-02-15T12:00-05:00"

# The floor, as a program of its own: the same events, each serialized once.
FLOOR = """
import sys
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from icalendar import Event, vCalAddress
zone, count = ZoneInfo("America/New_York"), int(sys.argv[1])
stamp = datetime(2011, 2, 15, 17, tzinfo=timezone.utc)
out = []
for n in range(count):
    start = datetime.combine(date(2011, 1, 3) + timedelta(days=n % 1000), datetime.min.time())
    start = start.replace(hour=14, tzinfo=zone)
    event = Event()
    event.add("uid", f"m{n:05d}@example.org")
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("sequence", 0)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(hours=2))
    event.add("summary", f"Meeting {n}")
    event.add("location", f"Hall {n}, {n} Main Street")
    event.add("description", f"Details and updates: https://example.org/meetings/#m{n:05d}")
    event.add("url", f"https://example.org/meetings/#m{n:05d}")
    event.add("organizer", vCalAddress("mailto:bench@example.org"))
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    out.append(event.to_ical())
sys.stdout.write(str(sum(map(len, out))))
"""


def _series(folder: Path, count: int, moved: int | None = None) -> None:
    """A meetings file of ``count`` meetings, every venue known; ``moved`` starts an hour later."""
    lines = ['[calendar]\nname = "Bench"\ntimezone = "America/New_York"\ndomain = "example.org"']
    for n in range(count):
        day = date(2011, 1, 3) + timedelta(days=n % 1000)
        start = "15:00" if n == moved else "14:00"
        lines.append(
            f'[[meeting]]\nid = "m{n:05d}"\ncity = "{CITIES[n % 10]}"\ndate = {day}\n'
            f'start = "{start}"\nend = "16:00"\nvenue = "Hall {n}"\naddress = "{n} Main Street"'
        )
    (folder / "meetings.toml").write_text("\n\n".join(lines) + "\n")


def _home(folder: Path, count: int) -> Path:
    """A workspace of ``count`` meetings and nobody on the list, with default settings."""
    folder.mkdir()
    (folder / "reminders.toml").write_text(
        'meetings = "meetings.toml"\nsubscribers = "subscribers.csv"\n'
        'base_url = "https://example.org/meetings/"\n'
    )
    (folder / "subscribers.csv").write_text("email,name,language,cities\n")
    _series(folder, count)
    return folder


def _clear(home: Path, aside: Path) -> None:
    """Move what a build made out of the way, to be removed after every measurement.

    Removing ten thousand files just before a cold build made it wait, creating
    its own, on the removal's journal commits (ext4 mounted with ``discard``):
    a cost of the bench's cleaning, not of a build. The temporary folder of the
    whole run goes when the run ends.
    """
    aside.mkdir()
    for made in ("public", "var", "public.pieces", "public.state-id"):
        if (home / made).exists():
            (home / made).rename(aside / made)


def _timed(command: list[str], cwd: Path) -> float:
    os.sync()  # earlier runs' writes are not this one's to wait for
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def build_rows(folder: Path) -> tuple[list[tuple[str, ...]], dict[int, float]]:
    """The build command's rows, and its cold time in seconds by the number of meetings."""
    rows, colds_by_count = [], {}
    # This machine's speed wanders by a third from one minute to the next: each round
    # times the floor beside the builds, and the rows give the medians of the rounds.
    for count, runs in ((1_000, 3), (10_000, 3)):
        home = _home(folder / f"build{count}", count)
        build = [sys.executable, "-m", "reminders", "build", "--now", NOW]
        colds, edits, floors = [], [], []
        for run in range(runs):
            _clear(home, folder / f"cleared-{count}-{run}")
            _series(home, count)
            floors.append(_timed([sys.executable, "-c", FLOOR, str(count)], home))
            colds.append(_timed(build, home))
            _series(home, count, moved=count // 2)
            edits.append(_timed(build, home))
        cold, edit = statistics.median(colds), statistics.median(edits)
        colds_by_count[count] = cold
        rounds = ", ".join(f"{c / f:.2f}×" for c, f in zip(colds, floors, strict=True))
        floor = statistics.median(floors)
        files = sum(1 for path in (home / "public").rglob("*") if path.is_file())
        rows.append(
            (
                f"build, {count:,} meetings, cold ({files:,} files)",
                f"{cold * 1000:,.0f} ms",
                f"{cold / count * 1e6:,.0f} µs/meeting",
                "",
                f"{cold / floor:.2f}× bare icalendar, each event once ({floor * 1000:,.0f} ms);"
                f" rounds {rounds}",
            )
        )
        rows.append(
            (
                f"build, {count:,} meetings, after one edit",
                f"{edit * 1000:,.0f} ms",
                "",
                "",
                f"{edit / cold:.1%} of the cold build",
            )
        )
    return rows, colds_by_count


def daemon_rows(folder: Path, cold: float, count: int = 10_000) -> list[tuple[str, ...]]:
    """The daemon's rebuild after one edit, with what it keeps in memory between ticks.

    ``cold``: the cold build command's time at ``count`` meetings, in seconds.
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from reminders.daemon import Daemon
    from reminders.settings import load_settings

    home = _home(folder / "daemon", count)
    daemon = Daemon(load_settings(home / "reminders.toml", home))
    quiet = datetime(2011, 2, 1, 3, tzinfo=ZoneInfo("America/New_York"))  # nothing is due
    start = time.perf_counter()
    daemon.tick(quiet)
    first = time.perf_counter() - start
    # A daemon's ticks are a minute apart: its record of the files it wrote is trusted
    # once two seconds have passed since they changed (publish/folder.py), so the first
    # edit's tick reads the cold build's files back once and the later ones do not. Five
    # edits, so that neither that tick nor one with a full collection is the median.
    time.sleep(2.5)
    edits = []
    for moved in (count // 2, count // 3, count // 4, count // 5, count // 6):
        _series(home, count, moved=moved)
        start = time.perf_counter()
        daemon.tick(quiet)
        edits.append(time.perf_counter() - start)
    edit = statistics.median(edits)
    return [
        (
            f"daemon, {count:,} meetings, tick after one edit",
            f"{edit * 1000:,.0f} ms",
            "",
            "",
            f"{edit / cold:.1%} of the cold build command, {edit / first:.1%} of its first"
            f" tick ({first * 1000:,.0f} ms);"
            f" ticks {', '.join(f'{t * 1000:,.0f}' for t in edits)} ms",
        )
    ]
