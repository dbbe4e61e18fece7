"""The state schema's history: migration N means the same tables on either engine.

Each entry runs once, in order, in its own transaction; a released entry is
never edited, only followed by a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIGRATIONS", "Migration", "statements"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step, as each engine spells it."""

    name: str
    sqlite: str
    postgresql: str


def _portable(name: str, script: str) -> Migration:
    # WITHOUT ROWID is SQLite's clustered table; PostgreSQL has no such clause.
    return Migration(name, script, script.replace(" WITHOUT ROWID", ""))


# Each entry runs once, in order, in its own transaction; never edit a released one.
MIGRATIONS: tuple[Migration, ...] = (
    _portable(
        "event revisions",
        """
        CREATE TABLE revision (
            meeting_id  TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            sequence    INTEGER NOT NULL,
            modified    TEXT NOT NULL
        );
        """,
    ),
    _portable(
        "delivery ledger and suppressions",
        """
        CREATE TABLE delivery (
            meeting_id  TEXT NOT NULL,
            kind        TEXT NOT NULL,
            recipient   TEXT NOT NULL,
            status      TEXT NOT NULL CHECK (status IN ('sent', 'failed', 'retry')),
            attempts    INTEGER NOT NULL DEFAULT 0,
            last_error  TEXT,
            message_id  TEXT,
            updated     TEXT NOT NULL,
            retry_after TEXT,
            PRIMARY KEY (meeting_id, kind, recipient)
        ) WITHOUT ROWID;
        CREATE TABLE suppression (
            recipient TEXT PRIMARY KEY,
            reason    TEXT NOT NULL,
            created   TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    _portable(
        "what each person was told, and when TBD venues became known",
        """
        CREATE TABLE told (
            meeting_id TEXT NOT NULL,
            recipient  TEXT NOT NULL,
            snapshot   TEXT NOT NULL,
            updated    TEXT NOT NULL,
            PRIMARY KEY (meeting_id, recipient)
        ) WITHOUT ROWID;
        CREATE INDEX told_states ON told (meeting_id, snapshot);
        CREATE TABLE watch (
            meeting_id TEXT PRIMARY KEY,
            tbd_seen   INTEGER NOT NULL,
            known_at   TEXT,
            base       TEXT
        ) WITHOUT ROWID;
        """,
    ),
    _portable(
        "sign-ups through the web",
        """
        CREATE TABLE signup (
            id       TEXT PRIMARY KEY,
            email    TEXT NOT NULL,
            name     TEXT NOT NULL,
            language TEXT NOT NULL,
            cities   TEXT NOT NULL,
            created  TEXT NOT NULL,
            expires  TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX signup_email ON signup (email);
        CREATE TABLE subscriber (
            recipient TEXT PRIMARY KEY,
            email     TEXT NOT NULL,
            name      TEXT NOT NULL,
            language  TEXT NOT NULL,
            cities    TEXT NOT NULL,
            updated   TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    Migration(
        "the ledger becomes a work queue; leases; a shared signing secret",
        # SQLite cannot alter a CHECK constraint: the table is copied instead.
        """
        CREATE TABLE delivery_queue (
            meeting_id  TEXT NOT NULL,
            kind        TEXT NOT NULL,
            recipient   TEXT NOT NULL,
            status      TEXT NOT NULL CHECK (status IN ('due', 'sent', 'failed', 'retry')),
            attempts    INTEGER NOT NULL DEFAULT 0,
            last_error  TEXT,
            message_id  TEXT,
            updated     TEXT NOT NULL,
            retry_after TEXT,
            closes      TEXT,
            claimed_by  TEXT,
            lease_until TEXT,
            PRIMARY KEY (meeting_id, kind, recipient)
        ) WITHOUT ROWID;
        INSERT INTO delivery_queue (meeting_id, kind, recipient, status, attempts, last_error,
            message_id, updated, retry_after)
            SELECT meeting_id, kind, recipient, status, attempts, last_error, message_id,
            updated, retry_after FROM delivery;
        DROP TABLE delivery;
        ALTER TABLE delivery_queue RENAME TO delivery;
        CREATE INDEX delivery_open ON delivery (closes) WHERE status IN ('due', 'retry');
        CREATE TABLE lease (
            name   TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            until  TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE secret (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
        """
        ALTER TABLE delivery DROP CONSTRAINT delivery_status_check;
        ALTER TABLE delivery ADD CONSTRAINT delivery_status_check
            CHECK (status IN ('due', 'sent', 'failed', 'retry'));
        ALTER TABLE delivery ADD COLUMN closes TEXT;
        ALTER TABLE delivery ADD COLUMN claimed_by TEXT;
        ALTER TABLE delivery ADD COLUMN lease_until TEXT;
        CREATE INDEX delivery_open ON delivery (closes) WHERE status IN ('due', 'retry');
        CREATE TABLE lease (
            name   TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            until  TEXT NOT NULL
        );
        CREATE TABLE secret (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
    _portable(
        "confirmation emails wait in the store, so a restart or a refusal loses none",
        """
        CREATE TABLE confirmation (
            signup_id  TEXT PRIMARY KEY,
            status     TEXT NOT NULL CHECK (status IN ('pending', 'failed')),
            attempts   INTEGER NOT NULL DEFAULT 0,
            next_try   TEXT NOT NULL,
            last_error TEXT,
            updated    TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    _portable(
        "each state database knows its own id, so a lost one is noticed",
        """
        CREATE TABLE meta (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    _portable(
        "bounces and complaints, matched to the delivery they answer",
        """
        CREATE INDEX delivery_message ON delivery (message_id);
        CREATE TABLE bounce (
            message_id TEXT PRIMARY KEY,
            recipient  TEXT NOT NULL,
            kind       TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
            sent       TEXT NOT NULL,
            created    TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX bounce_recipient ON bounce (recipient, sent);
        """,
    ),
    _portable(
        "a web subscriber is found by the opaque id in their links, not by a scan",
        """
        ALTER TABLE subscriber ADD COLUMN ident TEXT;
        CREATE INDEX subscriber_ident ON subscriber (ident);
        """,
    ),
    _portable(
        "attendance: answers under opaque ids until the meeting ends, then only counts",
        """
        CREATE TABLE attendance_answer (
            answer_id      TEXT PRIMARY KEY,
            meeting_id     TEXT NOT NULL,
            response       TEXT NOT NULL CHECK (response IN ('yes', 'maybe', 'no')),
            guests         INTEGER NOT NULL,
            interpretation TEXT NOT NULL,
            children       INTEGER NOT NULL,
            wheelchair     INTEGER NOT NULL,
            forget_after   TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX attendance_answer_meeting ON attendance_answer (meeting_id);
        CREATE TABLE attendance_total (
            meeting_id TEXT NOT NULL,
            measure    TEXT NOT NULL,
            amount     INTEGER NOT NULL,
            PRIMARY KEY (meeting_id, measure)
        ) WITHOUT ROWID;
        CREATE TABLE attendance_summary (
            day      TEXT PRIMARY KEY,
            measures TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    _portable(
        "consent to texts, per number: how it was given and when, for audits",
        """
        CREATE TABLE sms_consent (
            recipient TEXT PRIMARY KEY,
            status    TEXT NOT NULL CHECK (status IN ('asking', 'asked', 'given')),
            agreed    TEXT NOT NULL,
            asked     TEXT NOT NULL,
            given     TEXT,
            given_how TEXT
        ) WITHOUT ROWID;
        """,
    ),
    _portable(
        "the web form takes a mobile number and the channels a person wants",
        """
        ALTER TABLE signup ADD COLUMN phone TEXT NOT NULL DEFAULT '';
        ALTER TABLE signup ADD COLUMN channels TEXT NOT NULL DEFAULT 'email';
        ALTER TABLE subscriber ADD COLUMN phone TEXT NOT NULL DEFAULT '';
        ALTER TABLE subscriber ADD COLUMN channels TEXT NOT NULL DEFAULT 'email';
        ALTER TABLE subscriber ADD COLUMN sms_consent TEXT NOT NULL DEFAULT ''
        """,
    ),
    _portable(
        "each table a process keeps a copy of has an edition, renewed by every write",
        """
        CREATE TABLE edition (
            name  TEXT PRIMARY KEY,
            token TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
)


def statements(script: str) -> list[str]:
    """A migration's statements (none of ours holds a semicolon inside)."""
    return [statement for statement in script.split(";") if statement.strip()]
