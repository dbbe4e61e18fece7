"""Joining and leaving through the web: double opt-in, preferences, unsubscribing.

Sign-ups wait in the state database until the link of their confirmation
email is followed; confirmed ones join the subscribers of the CSV file (a
row here overrides the CSV row of the same address, which is how the CSV's
people change their preferences). Leaving deletes the row and adds the
address to the suppression list. Nothing here tells a caller whether an
address was on the list.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reminders.inputs.subscribers import Subscriber
from reminders.store.base import Database, stamp
from reminders.store.ledger import suppress
from reminders.tokens import Secret, address_id

__all__ = [
    "CONFIRM_FOR",
    "Signup",
    "confirm",
    "find_person",
    "leave",
    "merge",
    "person_of",
    "save_preferences",
    "start_signup",
    "web_subscribers",
]

CONFIRM_FOR = timedelta(hours=48)
RESEND_AFTER = timedelta(minutes=10)


@dataclass(frozen=True, slots=True, kw_only=True)
class Signup:
    """A sign-up waiting for its confirmation link."""

    id: str
    person: Subscriber
    expires: datetime
    send: bool  # False when one went to this address moments ago (no mail bombing)


def person_of(
    email: str,
    name: str,
    language: str,
    cities: str,
    phone: str = "",
    channels: str = "email",
    sms_consent: str = "",
) -> Subscriber:
    """A person as the store keeps one: cities and channels written ``;``-separated."""
    return Subscriber(
        email=email,
        name=name,
        language=language,
        cities=frozenset(c for c in cities.split(";") if c),
        phone=phone,
        channels=frozenset(c for c in channels.split(";") if c),
        sms_consent=sms_consent,
    )


_PERSON = "email, name, language, cities, phone, channels, sms_consent"


def start_signup(db: Database, person: Subscriber, now: datetime) -> Signup:
    """Store a pending sign-up; its id goes, signed, into the confirmation link."""
    ident = secrets.token_urlsafe(16).replace(".", "_")
    expires = now + CONFIRM_FOR
    with db.transaction():
        db.execute("DELETE FROM signup WHERE expires < ?", (stamp(now),))
        recent = db.execute(
            "SELECT 1 FROM signup WHERE email = ? AND created > ?",
            (person.key, stamp(now - RESEND_AFTER)),
        ).fetchone()
        db.execute(
            "INSERT INTO signup (id, email, name, language, cities, phone, channels,"
            " created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ident,
                person.key,
                person.name,
                person.language,
                ";".join(sorted(person.cities)),
                person.phone,
                ";".join(sorted(person.channels)),
                stamp(now),
                stamp(expires),
            ),
        )
    return Signup(id=ident, person=person, expires=expires, send=recent is None)


def confirm(
    db: Database, signup_id: str, now: datetime, key: bytes | None = None
) -> Subscriber | None:
    """Turn a pending sign-up into a subscriber; None if it expired or was used.

    ``key`` is the current signing key: the row keeps the opaque id the person's
    links will carry, so a link finds its person by an index, not a scan.
    """
    with db.transaction():
        row = db.execute(
            "SELECT email, name, language, cities, phone, channels FROM signup"
            " WHERE id = ? AND expires >= ?",
            (signup_id, stamp(now)),
        ).fetchone()
        if row is None:
            return None
        email, name, language, cities, phone, channels = row
        agreed = f"web form, confirmed by email {stamp(now)}" if phone else ""
        person = person_of(email, name, language, cities, phone, channels, agreed)
        db.execute("DELETE FROM signup WHERE id = ?", (signup_id,))
        # Confirming is fresh consent: it lifts an earlier unsubscription, of the
        # address and of the number, but a number that texted STOP stays stopped
        # until it texts START (the carriers' rule).
        db.execute("DELETE FROM suppression WHERE recipient = ?", (person.key,))
        db.execute(
            "DELETE FROM suppression WHERE recipient = ? AND reason = 'unsubscribed'",
            (person.by_text().key,),
        )
        _store(db, person, now, key)
    return person


def _store(db: Database, person: Subscriber, now: datetime, key: bytes | None) -> None:
    db.execute(
        "INSERT INTO subscriber (recipient, email, name, language, cities, phone, channels,"
        " sms_consent, updated, ident) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (recipient) DO UPDATE SET name = excluded.name,"
        " language = excluded.language, cities = excluded.cities, phone = excluded.phone,"
        " channels = excluded.channels, sms_consent = excluded.sms_consent,"
        " updated = excluded.updated, ident = coalesce(excluded.ident, subscriber.ident)",
        (
            person.key,
            person.email,
            person.name,
            person.language,
            ";".join(sorted(person.cities)),
            person.phone,
            ";".join(sorted(person.channels)),
            person.sms_consent,
            stamp(now),
            address_id(key, person.email) if key else None,
        ),
    )


def save_preferences(
    db: Database, person: Subscriber, now: datetime, key: bytes | None = None
) -> None:
    """Store someone's language and cities (overriding their CSV row, if any)."""
    with db.transaction():
        _store(db, person, now, key)


def leave(db: Database, person: Subscriber, now: datetime) -> None:
    """Unsubscribe for good: forget the web row, suppress the address and the number."""
    with db.transaction():
        db.execute("DELETE FROM subscriber WHERE recipient = ?", (person.key,))
    suppress(db, person.key, "unsubscribed", now)
    if person.phone:
        suppress(db, person.by_text().key, "unsubscribed", now)


def web_subscribers(db: Database) -> list[Subscriber]:
    """Everyone who confirmed through the web, or changed preferences there."""
    rows = db.execute(f"SELECT {_PERSON} FROM subscriber")
    return [person_of(*row) for row in rows]


def merge(csv_people: Iterable[Subscriber], web_people: Iterable[Subscriber]) -> list[Subscriber]:
    """The CSV's subscribers, with web rows overriding or adding."""
    people = {person.key: person for person in csv_people}
    people.update((person.key, person) for person in web_people)
    return list(people.values())


def web_person(db: Database, ident: str) -> Subscriber | None:
    """The web subscriber whose links carry ``ident`` under the current key (an index)."""
    row = db.execute(f"SELECT {_PERSON} FROM subscriber WHERE ident = ?", (ident,)).fetchone()
    return person_of(*row) if row else None


def index_people(key: bytes, db: Database) -> None:
    """Give the web subscribers stored without one the opaque id of ``key`` (once, at start)."""
    rows = db.execute("SELECT recipient, email FROM subscriber WHERE ident IS NULL").fetchall()
    with db.transaction():
        for recipient, email in rows:
            db.execute(
                "UPDATE subscriber SET ident = ? WHERE recipient = ?",
                (address_id(key, email), recipient),
            )


def find_person(secret: Secret, ident: str, people: Iterable[Subscriber]) -> Subscriber | None:
    """The person a token's address id names, under any of the signing keys, or None."""
    return next(
        (p for p in people if any(address_id(key, p.email) == ident for key in secret.keys)),
        None,
    )
