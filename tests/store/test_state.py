"""The storage contract: every test runs against a SQLite file and a PostgreSQL server.

Whatever the plan, compose and send code above relies on is asserted here,
once, for both engines: schema migrations, the ledger and its work queue
(claims, leases, recording under a claim), revisions, what people were
told, venue watches, sign-ups and suppressions.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from reminders.inputs.meetings import Snapshot
from reminders.inputs.subscribers import Subscriber
from reminders.kinds import Kind
from reminders.notices import Watch
from reminders.plan import Delivery
from reminders.revisions import Revision, load_revisions, save_revisions
from reminders.store import ledger, open_state, queue, told
from reminders.store.base import Database, StateError, describe
from reminders.store.migrations import MIGRATIONS
from reminders.store.signups import confirm, leave, start_signup, web_subscribers
from tests.support.mailsink import free_port
from tests.support.pgserver import PostgresServer

NOW = datetime(2011, 2, 23, 14, 0, tzinfo=UTC)
LEASE = timedelta(minutes=15)
SNAPSHOT = Snapshot(
    start="2011-02-26T14:00:00-05:00",
    end="2011-02-26T16:00:00-05:00",
    venue="Worcester Public Library",
    room="",
    address="3 Salem Square",
    status="CONFIRMED",
)


def delivery(recipient: str, kind: str = "reminder:3d", meeting: str = "worcester") -> Delivery:
    return Delivery(
        meeting_id=meeting,
        kind=Kind(kind),
        recipient=recipient,
        closes=datetime(2011, 2, 26, 19, 0, tzinfo=UTC),
    )


def queued(db: Database, count: int) -> list[Delivery]:
    work = [delivery(f"p{n:03d}@example.org") for n in range(count)]
    queue.enqueue(db, work, NOW)
    return work


def statuses(db: Database) -> dict[str, str]:
    return dict(db.execute("SELECT recipient, status FROM delivery"))


def test_a_new_database_is_migrated_to_the_latest_schema_and_reopens_unchanged(
    location: Path | str,
) -> None:
    for _ in range(2):
        db = open_state(location)
        tables = {"revision", "delivery", "suppression", "told", "watch", "signup", "lease"}
        for table in tables:
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
        db.close()


def test_a_ledger_from_before_the_queue_keeps_its_rows_and_never_resends(
    location: Path | str,
) -> None:
    # Build schema 4 by hand, as the release before the work queue left it.
    if isinstance(location, Path):
        old: Any = sqlite3.connect(location, isolation_level=None)
        for migration in MIGRATIONS[:4]:
            old.executescript(migration.sqlite)
        old.execute("PRAGMA user_version = 4")
    else:
        old = psycopg.connect(location, autocommit=True)
        for migration in MIGRATIONS[:4]:
            old.execute(migration.postgresql.encode())
        old.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        old.execute("INSERT INTO schema_version VALUES (4)")
    old.execute(
        "INSERT INTO delivery (meeting_id, kind, recipient, status, attempts, updated)"
        " VALUES ('worcester', 'reminder:3d', 'p000@example.org', 'sent', 1, 'x')"
    )
    old.close()
    db = open_state(location)
    assert statuses(db) == {"p000@example.org": "sent"}
    queued(db, 2)
    assert queue.claim(db, "a:1", NOW, NOW + LEASE, 5) == [
        ("worcester", "reminder:3d", "p001@example.org")
    ]
    db.close()


def test_a_database_newer_than_the_release_is_refused(location: Path | str) -> None:
    db = open_state(location)
    if isinstance(location, Path):
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    else:
        db.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS) + 1,))
    db.close()
    with pytest.raises(StateError, match="newer than this release"):
        open_state(location)


def test_a_failed_transaction_leaves_nothing_behind(db: Database) -> None:
    def fails_halfway() -> None:
        with db.transaction():
            queue.enqueue(db, [delivery("a@example.org")], NOW)
            db.execute("INSERT INTO suppression VALUES ('b@example.org', 'test', 'x')")
            raise RuntimeError("disk full, say")

    with pytest.raises(RuntimeError):
        fails_halfway()
    assert statuses(db) == {}
    assert ledger.suppressed(db) == set()


def test_in_a_block_of_many_writes_each_commit_is_seen_at_once(
    db: Database, second: Database
) -> None:
    work = queued(db, 3)
    with db.many_writes():
        for n, item in enumerate(work, start=1):
            ledger.record_sent(db, item, f"<m{n}@example.org>", NOW, SNAPSHOT)
            assert list(statuses(second).values()).count("sent") == n


def test_during_many_writes_the_log_is_folded_back_into_the_file_beside_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    with open_state(path) as db:
        work = queued(db, 400)  # in the log only: fewer pages than SQLite checkpoints at
        before = path.stat().st_size
        with db.many_writes():
            for n, item in enumerate(work):
                ledger.record_sent(db, item, f"<m{n}@example.org>", NOW, SNAPSHOT)
            waited = 0
            while path.stat().st_size == before and waited < 250:
                time.sleep(0.02)
                waited += 1
            during = path.stat().st_size
        again = db.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    assert during > before  # folded back while the block still ran
    assert again == 1000  # SQLite's own checkpoints again after it


def test_queueing_twice_is_harmless_and_never_reopens_a_sent_delivery(db: Database) -> None:
    work = queued(db, 3)
    ledger.record_sent(db, work[0], "<m@example.org>", NOW, SNAPSHOT)
    queue.enqueue(db, work, NOW + timedelta(minutes=10))
    assert statuses(db) == {
        "p000@example.org": "sent",
        "p001@example.org": "due",
        "p002@example.org": "due",
    }


def test_queued_deliveries_are_not_finished_but_sent_failed_and_waiting_ones_are(
    db: Database,
) -> None:
    work = queued(db, 4)
    ledger.record_sent(db, work[0], "<m@example.org>", NOW, SNAPSHOT)
    ledger.record_failed(db, work[1], "550 no such user", NOW)
    ledger.record_retry(db, work[2], "451 try later", NOW)
    done = ledger.finished(db, [("worcester", "reminder:3d")], NOW)
    assert done[("worcester", "reminder:3d")] == {f"p00{n}@example.org" for n in range(3)}
    later = ledger.finished(db, [("worcester", "reminder:3d")], NOW + timedelta(minutes=6))
    assert later[("worcester", "reminder:3d")] == {"p000@example.org", "p001@example.org"}


def test_a_claim_takes_a_batch_and_a_second_claimer_gets_the_rest(
    db: Database, second: Database
) -> None:
    queued(db, 5)
    first = queue.claim(db, "host-a:1", NOW, NOW + LEASE, 3)
    rest = queue.claim(second, "host-b:2", NOW, NOW + LEASE, 3)
    assert len(first) == 3
    assert len(rest) == 2
    assert not set(first) & set(rest)
    assert queue.claim(db, "host-a:1", NOW, NOW + LEASE, 3) == []


def in_threads(count: int, work: Callable[[threading.Barrier, int], None]) -> None:
    """Run ``work(barrier, n)`` in ``count`` threads; each waits at the barrier where it races."""
    barrier = threading.Barrier(count)
    threads = [threading.Thread(target=work, args=(barrier, n)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_concurrent_claimers_never_take_the_same_delivery(location: Path | str) -> None:
    setup = open_state(location)
    queued(setup, 200)
    setup.close()
    taken: dict[str, list[tuple[str, str, str]]] = {}

    def claimer(barrier: threading.Barrier, n: int) -> None:
        db = open_state(location)
        barrier.wait()  # opened apart: the claims race
        mine = taken.setdefault(f"host:{n}", [])
        while batch := queue.claim(db, f"host:{n}", NOW, NOW + LEASE, 7):
            mine.extend(batch)
        db.close()

    in_threads(4, claimer)
    everything = [key for batch in taken.values() for key in batch]
    assert len(everything) == 200
    assert len(set(everything)) == 200


def open_together(url: str, count: int) -> list[str]:
    """Open the state ``count`` times at the same moment; return what failed."""
    failures: list[str] = []

    def opener(barrier: threading.Barrier, n: int) -> None:
        barrier.wait()  # the opens race
        try:
            open_state(url).close()
        except StateError as error:
            failures.append(str(error))

    in_threads(count, opener)
    return failures


def test_daemons_opening_a_new_database_together_migrate_it_once(
    postgres: PostgresServer,
) -> None:
    """Daemons started at once on an empty database: none fails, and it is migrated once."""
    for _ in range(20):  # the race is in PostgreSQL's catalog: give it many chances
        url = postgres.database()
        assert open_together(url, 6) == []
        with psycopg.connect(url) as check:
            versions = check.execute("SELECT version FROM schema_version").fetchall()
        assert versions == [(len(MIGRATIONS),)]


def test_an_expired_lease_lets_another_sender_take_the_claim(
    db: Database, second: Database
) -> None:
    queued(db, 2)
    held = queue.claim(db, "dead:1", NOW, NOW + LEASE, 2)
    assert queue.claim(second, "live:2", NOW + LEASE - timedelta(seconds=1), NOW + LEASE, 2) == []
    taken = queue.claim(second, "live:2", NOW + LEASE, NOW + 2 * LEASE, 2)
    assert sorted(taken) == sorted(held)


def test_recording_checks_the_claim_and_records_the_truth_either_way(
    db: Database, second: Database
) -> None:
    work = queued(db, 2)
    queue.claim(db, "host-a:1", NOW, NOW + LEASE, 2)
    assert ledger.record_sent(db, work[0], "<1@example.org>", NOW, SNAPSHOT, "host-a:1")
    # host-a hung past its lease; host-b took the other claim.
    queue.claim(second, "host-b:2", NOW + LEASE, NOW + 2 * LEASE, 2)
    assert not ledger.record_sent(db, work[1], "<2@example.org>", NOW, SNAPSHOT, "host-a:1")
    assert statuses(db) == {"p000@example.org": "sent", "p001@example.org": "sent"}
    assert queue.claims(db, NOW) == []


def test_released_claims_are_free_at_once_and_withdrawn_ones_are_gone(db: Database) -> None:
    queued(db, 4)
    keys = queue.claim(db, "host-a:1", NOW, NOW + LEASE, 4)
    queue.release(db, "host-a:1", keys[:2])
    queue.withdraw(db, "host-a:1", keys[2:])
    queue.withdraw(db, "someone-else:9", keys[:2])  # not theirs: nothing happens
    assert sorted(queue.claim(db, "host-b:2", NOW, NOW + LEASE, 4)) == sorted(keys[:2])
    assert len(statuses(db)) == 2


def test_claims_show_per_sender_held_and_expired_leases(db: Database) -> None:
    queued(db, 5)
    queue.claim(db, "host-a:1", NOW, NOW + timedelta(minutes=1), 2)
    queue.claim(db, "host-b:2", NOW, NOW + LEASE, 3)
    later = NOW + timedelta(minutes=5)
    shown = {c.holder: (c.held, c.expired) for c in queue.claims(db, later)}
    assert shown == {"host-a:1": (0, 2), "host-b:2": (3, 0)}


def test_dead_holders_claims_are_released_and_live_ones_kept(db: Database) -> None:
    queued(db, 4)
    queue.claim(db, "here:1", NOW, NOW + LEASE, 2)
    queue.claim(db, "here:2", NOW, NOW + LEASE, 2)
    assert queue.release_dead(db, lambda name: name == "here:2") == 2
    assert [c.holder for c in queue.claims(db, NOW)] == ["here:2"]


def test_a_window_that_closed_unsent_is_dropped_from_the_queue(db: Database) -> None:
    queued(db, 3)
    closes = datetime(2011, 2, 26, 19, 0, tzinfo=UTC)
    assert queue.claim(db, "late:1", closes, closes + LEASE, 3) == []
    assert queue.expire(db, closes) == 3
    assert statuses(db) == {}


def test_a_retry_waits_a_growing_delay_then_is_claimable_again(db: Database) -> None:
    work = queued(db, 1)
    first = ledger.record_retry(db, work[0], "451", NOW)
    second = ledger.record_retry(db, work[0], "451", NOW)
    assert first - NOW == timedelta(minutes=5)
    assert second - NOW == timedelta(minutes=10)
    assert queue.claim(db, "a:1", NOW + timedelta(minutes=9), NOW + LEASE, 5) == []
    assert len(queue.claim(db, "a:1", NOW + timedelta(minutes=10), NOW + LEASE, 5)) == 1


def test_counts_per_meeting_include_the_queue(db: Database) -> None:
    work = queued(db, 3)
    ledger.record_sent(db, work[0], "<m@example.org>", NOW, SNAPSHOT)
    ledger.record_failed(db, work[1], "550", NOW)
    assert ledger.counts(db)["worcester"] == ledger.MeetingCounts(
        meeting_id="worcester", due=1, sent=1, failed=1
    )


def test_what_people_were_told_and_venue_watches_round_trip(db: Database) -> None:
    work = queued(db, 2)
    for item in work:
        ledger.record_sent(db, item, "<m@example.org>", NOW, SNAPSHOT)
    assert told.told_states(db) == {"worcester": {SNAPSHOT}}
    assert told.told(db, ["worcester"])["worcester"]["p001@example.org"] == SNAPSHOT
    watch = Watch(meeting_id="lowell", tbd_seen=True, known_at=NOW, base=SNAPSHOT)
    told.save_watches(db, [watch])
    assert told.load_watches(db) == {"lowell": watch}


def test_revisions_round_trip_with_their_instant(db: Database) -> None:
    revision = Revision(meeting_id="worcester", fingerprint="abc", sequence=2, modified=NOW)
    save_revisions(db, [revision])
    save_revisions(db, [revision])
    assert load_revisions(db) == {"worcester": revision}


def test_suppression_is_case_blind_and_said_once(db: Database) -> None:
    assert ledger.suppress(db, "Person@Example.org", "by hand", NOW)
    assert not ledger.suppress(db, "person@example.org", "by hand", NOW)
    assert ledger.suppressed(db) == {"person@example.org"}


def test_signup_confirm_and_leave(db: Database) -> None:
    person = Subscriber(email="new@example.org", name="Ana", cities=frozenset({"Worcester"}))
    signup = start_signup(db, person, NOW)
    assert signup.send
    assert not start_signup(db, person, NOW + timedelta(minutes=1)).send
    assert confirm(db, signup.id, NOW + timedelta(hours=49)) is None
    again = start_signup(db, person, NOW + timedelta(hours=50))
    assert confirm(db, again.id, NOW + timedelta(hours=50)) == person
    assert confirm(db, again.id, NOW + timedelta(hours=50)) is None
    assert web_subscribers(db) == [person]
    leave(db, person, NOW)
    assert web_subscribers(db) == []
    assert ledger.suppressed(db) == {"new@example.org"}


def test_leaving_stops_texts_too_and_signing_up_again_lifts_only_that(db: Database) -> None:
    person = Subscriber(
        email="new@example.org", phone="+16175550123", channels=frozenset({"email", "sms"})
    )
    confirmed = confirm(db, start_signup(db, person, NOW).id, NOW)
    assert confirmed is not None
    assert confirmed.phone == "+16175550123"
    assert confirmed.sms_consent.startswith("web form, confirmed by email")
    leave(db, confirmed, NOW)
    assert ledger.suppressed(db) == {"new@example.org", "sms:+16175550123"}
    later = NOW + timedelta(hours=1)
    assert confirm(db, start_signup(db, person, later).id, later) is not None
    assert ledger.suppressed(db) == set()
    ledger.suppress(db, "sms:+16175550123", "replied STOP", later)
    again = later + timedelta(hours=1)
    assert confirm(db, start_signup(db, person, again).id, again) is not None
    assert ledger.suppressed(db) == {"sms:+16175550123"}  # only START lifts a STOP


def test_a_server_url_is_named_without_its_password() -> None:
    shown = describe("postgresql://reminders:s3cret@db.example.org:5432/reminders")
    assert shown == "postgresql://reminders@db.example.org:5432/reminders"
    assert describe(Path("/var/lib/reminders/state.db")) == "/var/lib/reminders/state.db"


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(StateError, match="cannot connect") as caught:
        open_state(f"postgresql://x:hunter2@127.0.0.1:{free_port()}/x")
    assert "hunter2" not in str(caught.value)


def test_a_web_subscriber_is_found_by_the_id_in_their_links(db: Database) -> None:
    from reminders.store.signups import index_people, save_preferences, web_person
    from reminders.tokens import address_id

    key = b"k" * 32
    person = Subscriber(email="Nadia@example.org", name="Nadia", language="en")
    signup = start_signup(db, person, NOW)
    assert confirm(db, signup.id, NOW, key) is not None
    assert web_person(db, address_id(key, "nadia@example.org")) == replace(
        person, email="nadia@example.org"
    )
    assert web_person(db, address_id(b"other-key-" * 3, "nadia@example.org")) is None
    # A row stored before ids were kept gets one once, at start.
    save_preferences(db, Subscriber(email="old@example.org", language="es"), NOW)
    assert web_person(db, address_id(key, "old@example.org")) is None
    index_people(key, db)
    found = web_person(db, address_id(key, "old@example.org"))
    assert found is not None
    assert found.language == "es"
