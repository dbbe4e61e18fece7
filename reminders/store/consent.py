"""Consent to texts, per number: asked, then given by a YES, kept for carrier audits.

A number gets no text but the question until its YES is recorded. The row
keeps how the person first agreed (the list's dated column, or the web
form), when the question went and when and how the YES came, never a
message body. The question is claimed (``asking``) before it is handed over,
so two senders never ask twice; a refused hand-over gives the claim back.
A STOP is a suppression (:mod:`reminders.store.ledger`), as for email.
"""

from __future__ import annotations

from datetime import datetime

from reminders.store.base import Database, stamp

__all__ = [
    "asked",
    "claim_question",
    "consents",
    "give",
    "question_sent",
    "release_question",
    "release_stale",
]


def consents(db: Database) -> dict[str, str]:
    """Every number's consent state by recipient key: ``asking``, ``asked`` or ``given``."""
    return {str(r): str(s) for r, s in db.execute("SELECT recipient, status FROM sms_consent")}


def claim_question(db: Database, recipient: str, agreed: str, now: datetime) -> bool:
    """Claim asking ``recipient``; False if someone asked (or claimed to) already."""
    rows = db.execute(
        "INSERT INTO sms_consent (recipient, status, agreed, asked) VALUES (?, 'asking', ?, ?)"
        " ON CONFLICT (recipient) DO NOTHING",
        (recipient, agreed, stamp(now)),
    )
    return rows.rowcount == 1


def question_sent(db: Database, recipient: str) -> None:
    db.execute(
        "UPDATE sms_consent SET status = 'asked' WHERE recipient = ? AND status = 'asking'",
        (recipient,),
    )


def release_question(db: Database, recipient: str) -> None:
    """The question was not handed over: the next run asks again."""
    db.execute("DELETE FROM sms_consent WHERE recipient = ? AND status = 'asking'", (recipient,))


def release_stale(db: Database, before: datetime) -> None:
    """Give back the claims of questions whose run died before recording them."""
    db.execute("DELETE FROM sms_consent WHERE status = 'asking' AND asked < ?", (stamp(before),))


def give(db: Database, recipient: str, now: datetime, how: str) -> bool:
    """Record a YES from a number that was asked; False if it never was (nothing stored)."""
    rows = db.execute(
        "UPDATE sms_consent SET status = 'given', given = ?, given_how = ? WHERE recipient = ?",
        (stamp(now), how, recipient),
    )
    return rows.rowcount == 1


def asked(db: Database, recipient: str) -> bool:
    """Whether the number was ever asked (so it is on the list)."""
    row = db.execute("SELECT 1 FROM sms_consent WHERE recipient = ?", (recipient,)).fetchone()
    return row is not None
