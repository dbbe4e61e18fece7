"""`make bench`: measure the feed, the reminder path and an idle tick on this machine.

Every figure is the median of several runs; each "ratio" is measured side by
side in the same run. Prints a Markdown table for the README. Reaches only
127.0.0.1 (an aiosmtpd sink in its own process, see ``bench/sink.py``).
"""

from __future__ import annotations

import compileall
import os
import platform
import resource
import shutil
import smtplib
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from builds import build_rows, daemon_rows  # noqa: E402
from peers import command_time, django_loop, ics_feed  # noqa: E402

from reminders.daemon import Daemon  # noqa: E402
from reminders.inputs.meetings import Meeting, Series  # noqa: E402
from reminders.kinds import Kind  # noqa: E402
from reminders.mail.assembly import compose  # noqa: E402
from reminders.publish.calendars import calendar_bytes  # noqa: E402
from reminders.publish.feed import FeedOptions, fingerprint, shown  # noqa: E402
from reminders.publish.links import feed_url  # noqa: E402
from reminders.publish.site import meeting_calendar  # noqa: E402
from reminders.revisions import revise  # noqa: E402
from reminders.sending import identity, load_inputs  # noqa: E402
from reminders.settings import load_settings  # noqa: E402
from reminders.store import open_state  # noqa: E402
from reminders.store.secret import load_secret  # noqa: E402

ZONE = ZoneInfo("America/New_York")
CITIES = (
    "Worcester",
    "Framingham",
    "Lawrence",
    "Waltham",
    "Chelsea",
    "Brockton",
    "Lowell",
    "New Bedford",
    "Springfield",
    "Boston",
)
OPTIONS = FeedOptions(base_url="https://example.org/meetings/")
NOW = datetime(2011, 2, 15, 12, tzinfo=UTC)


def median_time(action: Callable[[], object], runs: int) -> float:
    """Median wall time of ``runs`` calls, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory(action: Callable[[], object]) -> int:
    """Peak Python heap allocated during one call, in bytes."""
    tracemalloc.start()
    action()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def meetings(count: int) -> Series:
    """``count`` meetings over three years, cycling through cities and times."""
    items = []
    for n in range(count):
        day = date(2011, 1, 3) + timedelta(days=n % 1000)
        start = datetime.combine(day, clock(12 + n % 7), tzinfo=ZONE)
        items.append(
            Meeting(
                id=f"m{n:05d}",
                city=CITIES[n % 10],
                title=f"Meeting {n} in {CITIES[n % 10]}",
                start=start,
                end=start + timedelta(hours=2),
                venue=f"Hall {n}",
                address=f"{n} Main Street, {CITIES[n % 10]}",
            )
        )
    return Series(
        name="Bench",
        timezone=ZONE,
        domain="example.org",
        organizer_name="Bench",
        organizer_email="bench@example.org",
        meetings=tuple(items),
    )


def bare_feed(series: Series) -> bytes:
    """The floor: the same events serialized with the bare icalendar library."""
    cal = Calendar()
    cal.add("prodid", "-//bench//EN")
    cal.add("version", "2.0")
    for m in series:
        event = Event()
        event.add("uid", f"{m.id}@example.org")
        event.add("dtstamp", NOW)
        event.add("last-modified", NOW)
        event.add("sequence", 0)
        event.add("dtstart", m.start)
        event.add("dtend", m.end)
        event.add("summary", m.title)
        event.add("location", m.location)
        event.add("description", f"Details and updates: {OPTIONS.base_url}#{m.id}")
        event.add("url", f"{OPTIONS.base_url}#{m.id}")
        event.add("organizer", vCalAddress("mailto:bench@example.org"))
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return bytes(cal.to_ical())


def our_feed(series: Series) -> bytes:
    """The project's feed, revisions included (as a build does)."""
    revisions = revise({m.id: fingerprint(shown(m, OPTIONS)) for m in series}, {}, NOW)
    url = feed_url(OPTIONS.base_url)
    return calendar_bytes(series, series.meetings, revisions, OPTIONS, name=series.name, source=url)


def feed_rows() -> list[tuple[str, ...]]:
    rows = []
    for count, runs in ((10, 7), (1_000, 3), (10_000, 1)):
        series = meetings(count)
        ours = median_time(lambda s=series: our_feed(s), runs)
        bare = median_time(lambda s=series: bare_feed(s), runs)
        memory = peak_memory(lambda s=series: our_feed(s))
        peer = median_time(lambda s=series: ics_feed(s), runs) if count <= 1_000 else None
        versus = f"; the ics package takes {peer / ours:.2f}× this time" if peer else ""
        rows.append(
            (
                f"feed, {count:,} meetings",
                f"{ours * 1000:,.0f} ms",
                f"{ours / count * 1e6:,.0f} µs/event",
                f"{memory / 2**20:,.1f} MiB",
                f"{ours / bare:.2f}× bare icalendar{versus}",
            )
        )
    return rows


@contextmanager
def sink(round_trip_ms: int = 0) -> Iterator[int]:
    """The sink's port; with a round trip, a proxy's that delays each way by half of it."""
    delay = [str(round_trip_ms)] if round_trip_ms else []
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "sink.py"), *delay], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    try:
        yield int(process.stdout.readline())
    finally:
        process.terminate()
        process.wait()


def workspace(folder: Path, subscribers: int, port: int, meeting_count: int = 1) -> Path:
    """A settings file, a meetings file and a subscribers CSV for a benchmark."""
    lines = ['[calendar]\nname = "Bench"\ntimezone = "America/New_York"\ndomain = "example.org"']
    for n in range(meeting_count):
        day = date(2011, 2, 26) + timedelta(days=n)
        lines.append(
            f'[[meeting]]\nid = "m{n:05d}"\ncity = "{CITIES[n % 10]}"\ndate = {day}\n'
            f'start = "14:00"\nend = "16:00"\nvenue = "Hall {n}"\n'
            f'address = "{n} Main Street"'
        )
    (folder / "meetings.toml").write_text("\n\n".join(lines) + "\n")
    with (folder / "subscribers.csv").open("w") as out:
        out.write("email,name,language,cities\n")
        for n in range(subscribers):
            out.write(f"person{n:06d}@example.org,Person {n},en,\n")
    (folder / "reminders.toml").write_text(
        f'meetings = "meetings.toml"\nsubscribers = "subscribers.csv"\n'
        f'base_url = "https://example.org/meetings/"\n'
        f'[mail]\ntransport = "smtp://127.0.0.1:{port}?starttls=off"\n'
    )
    return folder / "reminders.toml"


SEND_AT = datetime(2011, 2, 23, 9, 5, tzinfo=ZONE)


def prebuilt(config: Path, letters: list[tuple[str, Any]] | None = None) -> list[tuple[str, bytes]]:
    """The same messages, each built with the reference composer, for the bare loop.

    ``letters`` receives each person's rendered letter, for the peers.
    """
    from reminders.mail.assembly import personal_links
    from reminders.mail.context import message_context
    from reminders.mail.templates import Templates

    settings = load_settings(config, config.parent)
    inputs = load_inputs(settings)
    with open_state(settings.state) as db:
        me = identity(settings, inputs.series, load_secret(db))
    templates = Templates(settings.email_templates, settings.locale)
    meeting = inputs.series.meetings[0]
    revisions = revise({meeting.id: "x"}, {}, SEND_AT)
    calendar = meeting_calendar(inputs.series, meeting, revisions, OPTIONS)
    messages = []
    for person in inputs.subscribers:
        context = message_context(
            meeting,
            person,
            inputs.series,
            OPTIONS,
            personal_links(me, person.email, SEND_AT),
            SEND_AT,
        )
        letter = templates.render("reminder", context)
        if letters is not None:
            letters.append((person.email, letter))
        message = compose(
            letter,
            identity=me,
            subscriber=person,
            meeting=meeting,
            kind=Kind("reminder:3d"),
            calendar=calendar,
            now=SEND_AT,
        )
        messages.append((person.email, message.as_bytes()))
    return messages


def bare_loop(port: int, messages: list[tuple[str, bytes]]) -> float:
    """The floor: smtplib sending prebuilt messages over one reused connection."""
    connection = smtplib.SMTP("127.0.0.1", port)
    start = time.perf_counter()
    for address, data in messages:
        connection.sendmail("reminders@example.org", [address], data)
    elapsed = time.perf_counter() - start
    connection.quit()
    return elapsed


def send_peak_rss(config: Path, until: int) -> int:
    """Peak resident memory of a real `reminders send` process, in bytes.

    Read from the process's own VmHWM while it runs (``ru_maxrss`` would carry
    over the size of this large parent from before the exec), through reading
    the files, planning and queueing every delivery and sending the first
    ``until`` messages; then the process is stopped, since the rest is the same
    loop over more of the queue.
    """
    shutil.rmtree(config.parent / "var", ignore_errors=True)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reminders",
            "--quiet",
            "--config",
            str(config),
            "send",
            "--now",
            SEND_AT.isoformat(),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    peak = 0
    status = Path(f"/proc/{process.pid}/status")
    state = config.parent / "var" / "state.db"
    while process.poll() is None and _sent(state) < until:
        try:
            line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
            peak = max(peak, int(line.split()[1]) * 1024)
        except (OSError, StopIteration):
            pass
        time.sleep(0.1)
    if process.poll() is None:
        process.kill()
    process.wait()
    assert _sent(state) >= until, "the send stopped early"
    return peak


def _sent(state: Path) -> int:
    """How many deliveries the state database has on record as sent (0 before it exists)."""
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5) as db:
            row = db.execute("SELECT count(*) FROM delivery WHERE status = 'sent'").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0])


def ledger_cost(config: Path, count: int = 2000) -> float:
    """Seconds per committed ledger record (one transaction each, as the sender does)."""
    from reminders.inputs.meetings import Snapshot
    from reminders.plan import Delivery
    from reminders.store import ledger

    shutil.rmtree(config.parent / "var", ignore_errors=True)
    settings = load_settings(config, config.parent)
    meeting = load_inputs(settings).series.meetings[0]
    snapshot = Snapshot.of(meeting)
    connection = open_state(settings.state)
    start = time.perf_counter()
    for n in range(count):
        delivery = Delivery(
            meeting_id=meeting.id,
            kind=Kind("reminder:3d"),
            recipient=f"p{n}@example.org",
            closes=meeting.start,
        )
        ledger.record_sent(connection, delivery, f"<{n}@example.org>", SEND_AT, snapshot)
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed / count


def signing_cost(messages: list[tuple[str, bytes]]) -> float:
    """Seconds per message that DKIM signing adds, with a 2048-bit key, as send signs."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from reminders.mail.signing import Signer

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = Signer(selector="bench", domain="example.org", key=pem)
    start = time.perf_counter()
    for _, data in messages:
        signer.sign(data)
    return (time.perf_counter() - start) / len(messages)


def memory_rows(folder: Path) -> list[tuple[str, ...]]:
    rows = []
    with sink() as port:
        for count in (2_000, 100_000):
            home = folder / f"memory{count}"
            home.mkdir()
            until = min(count, 10_000)
            rss = send_peak_rss(workspace(home, count, port), until)
            sampled = "the whole run" if until == count else f"to the {until:,}th message"
            rows.append(
                (
                    f"send, {count:,} subscribers, peak memory",
                    "",
                    "",
                    f"{rss / 2**20:,.0f} MiB peak RSS",
                    f"{sampled}; target ≤ 150 MiB at 100,000",
                )
            )
    return rows


def cost_rows(
    messages: list[tuple[str, bytes]], config: Path, per_message: float
) -> list[tuple[str, ...]]:
    """What DKIM and a ledger record add to a message, against the send command's time."""
    signing = signing_cost(messages[:500])
    ledger_seconds = ledger_cost(config)
    return [
        (
            "DKIM signature (dkimpy, 2048-bit RSA)",
            f"{signing * 1e3:.2f} ms",
            "",
            "",
            f"{signing / per_message:.0%} of the unsigned per-message time",
        ),
        (
            "ledger record (commit)",
            f"{ledger_seconds * 1e6:,.0f} µs",
            "",
            "",
            f"{ledger_seconds / per_message:.0%} of the per-message time",
        ),
    ]


def command_rows(
    folder: Path, count: int = 2_000, runs: int = 3, round_trip_ms: int = 0
) -> list[tuple[str, ...]]:
    """The whole `reminders send` command against bare smtplib and Django, same letters and sink.

    With a round trip, the sink is behind a proxy that delays each way by half of it.
    """
    with sink(round_trip_ms) as port:
        home = folder / f"command-{round_trip_ms}"
        home.mkdir()
        config = workspace(home, count, port)
        letters: list[tuple[str, Any]] = []
        messages = prebuilt(config, letters)
        series = load_inputs(load_settings(config, home)).series
        meeting = series.meetings[0]
        revisions = revise({meeting.id: "x"}, {}, SEND_AT)
        calendar = meeting_calendar(series, meeting, revisions, OPTIONS)
        ours, bare, django = [], [], []
        for _ in range(runs):  # interleaved, so a slow moment of the machine hits all three
            ours.append(command_time(config, SEND_AT.isoformat()))
            bare.append(bare_loop(port, messages))
            django.append(django_loop(port, letters, calendar))
    command, floor, peer = map(statistics.median, (ours, bare, django))
    rounds = ", ".join(f"{f / c:.0%}" for c, f in zip(ours, bare, strict=True))
    where = f", {round_trip_ms} ms round trip" if round_trip_ms else ""
    row = (
        f"send command, {count:,} subscribers{where}, start to exit",
        f"{count / command:,.0f} msg/s",
        f"{command / count * 1000:.2f} ms/msg",
        "",
        f"{floor / command:.0%} of bare smtplib ({count / floor:,.0f} msg/s; rounds {rounds}); "
        f"{peer / command:.2f}× Django's EmailMultiAlternatives ({count / peer:,.0f} msg/s)",
    )
    if round_trip_ms:
        return [row]
    return [row, *cost_rows(messages, config, command / count)]


def live_workspace(home: Path, subscribers: int, port: int, state: str) -> Path:
    """A workspace whose one meeting's 2-hour window is open now, in real time, for daemons."""
    home.mkdir()
    config = workspace(home, subscribers, port)
    start = (datetime.now(ZONE) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=1)
    (home / "meetings.toml").write_text(
        '[calendar]\nname = "Bench"\ntimezone = "America/New_York"\ndomain = "example.org"\n'
        f'[[meeting]]\nid = "live"\ncity = "Lowell"\ndate = {start.date()}\n'
        f'start = "{start:%H:%M}"\nend = "{end:%H:%M}"\nend_date = {end.date()}\n'
        'venue = "Lowell Library"\n'
    )
    # Top-level keys go before the file's first [table].
    config.write_text(
        f'state = "{state}"\n{config.read_text()}[reminders]\noffsets = ["2 hours"]\n'
    )
    return config


def sent_so_far(state: str) -> int:
    query = "SELECT count(*) FROM delivery WHERE status = 'sent'"
    if state.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(state) as db:
            try:
                row = db.execute(query).fetchone()
            except psycopg.errors.UndefinedTable:  # not created yet
                row = (0,)
    else:
        db = sqlite3.connect(state)
        try:
            row = db.execute(query).fetchone()
        except sqlite3.OperationalError:  # not created yet
            row = (0,)
        finally:
            db.close()
    return int(row[0]) if row else 0


def daemons_rate(config: Path, state: str, daemons: int, count: int) -> float:
    """Deliveries per second of ``daemons`` `reminders run` processes serving ``count`` people.

    Timed from the first recorded delivery to the last, so start-up is not counted.
    """
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "reminders", "run", "--every", "0.5"],
            cwd=config.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(daemons)
    ]
    try:
        first = (0, 0.0)
        while (done := sent_so_far(state)) < count:
            if done and not first[0]:
                first = (done, time.perf_counter())
            time.sleep(0.05)
        elapsed = time.perf_counter() - first[1]
    finally:
        for process in processes:
            process.terminate()
            process.wait()
    return (count - first[0]) / elapsed


def shared_rows(folder: Path, count: int = 3_000) -> list[tuple[str, ...]]:
    from tests.support.pgserver import PostgresServer

    rows = []
    server = PostgresServer(durable=True)
    try:
        with sink() as port:
            file = str(folder / "daemons-sqlite" / "state.db")
            config = live_workspace(folder / "daemons-sqlite", count, port, file)
            alone = daemons_rate(config, file, 1, count)
            rows.append(
                (
                    f"1 daemon on SQLite, {count:,} subscribers",
                    f"{alone:,.0f} deliveries/s",
                    f"{1000 / alone:.2f} ms/msg",
                    "",
                    "the embedded default",
                )
            )
            for daemons in (1, 2, 3):
                url = server.database()
                config = live_workspace(folder / f"daemons-pg{daemons}", count, port, url)
                rate = daemons_rate(config, url, daemons, count)
                rows.append(
                    (
                        f"{daemons} daemon{'s' * (daemons > 1)} on PostgreSQL, "
                        f"{count:,} subscribers",
                        f"{rate:,.0f} deliveries/s",
                        f"{1000 / rate:.2f} ms/msg",
                        "",
                        f"{rate / alone:.0%} of one daemon on SQLite",
                    )
                )
    finally:
        server.stop()
    return rows


def tick_rows(folder: Path) -> list[tuple[str, ...]]:
    home = folder / "tick"
    home.mkdir()
    config = workspace(home, 100_000, 9, meeting_count=1_000)
    settings = load_settings(config, home)
    daemon = Daemon(settings)
    quiet = datetime(2011, 2, 1, 3, tzinfo=ZONE)  # no window is open
    daemon.tick(quiet)  # the first tick reads the files and builds the folder
    # Ticks are a minute apart: the first quiet one reads back the files the build wrote,
    # once their record can be trusted (see daemon_rows), and the others only ask stat.
    time.sleep(2.5)
    seconds = median_time(lambda: daemon.tick(quiet), 9)
    return [
        (
            "idle tick, 1,000 meetings × 100,000 subscribers",
            f"{seconds * 1000:.0f} ms",
            "",
            "",
            "target < 100 ms",
        )
    ]


def main() -> None:
    # The commands are measured as installed: pip byte-compiles a wheel's modules, while
    # this checkout's editable install (and PYTHONDONTWRITEBYTECODE, where it is set)
    # would compile all of them again in every process, 60 ms a start here.
    compileall.compile_dir(ROOT / "reminders", quiet=1)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        built, colds = build_rows(folder)
        rows = feed_rows() + built + daemon_rows(folder, colds[10_000])
        rows += command_rows(folder) + command_rows(folder, 500, round_trip_ms=2)
        rows += memory_rows(folder)
        rows += tick_rows(folder) + shared_rows(folder)
    cpu = platform.processor() or platform.machine()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    table = [
        f"## {datetime.now(UTC):%Y-%m-%d}, commit {commit or 'unknown'}",
        "",
        f"Machine: {platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
        f"{resource.getpagesize()} B pages, Python {platform.python_version()}",
        "",
        "| what | time | per item | memory | compared |",
        "| --- | --- | --- | --- | --- |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    print("\n".join(table))
    record(table)


def record(table: list[str]) -> None:
    """Put the table on top of docs/benchmarks.md, the earlier ones kept below it."""
    page = ROOT / "docs" / "benchmarks.md"
    text = page.read_text(encoding="utf-8")
    first = text.index("\n## ")  # the heading of the latest table so far
    page.write_text(text[: first + 1] + "\n".join(table) + "\n\n" + text[first + 1 :])


if __name__ == "__main__":
    main()
