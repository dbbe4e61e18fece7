"""Attendance in the state store: answers while they may change, then counts only.

An answer row holds an opaque id, the meeting and the answer, never an
address or a name, and lives until its meeting ends (:func:`forget_ended`);
then the meeting's counts are kept in ``attendance_total`` and the rows are
deleted. Answering again under the same id replaces the row, so nothing is
counted twice. The daily summary remembers, per day, the counts it sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime

from reminders.attendance import Answer, Reply, Tally
from reminders.store.base import Database, stamp

__all__ = [
    "earlier",
    "forget_ended",
    "forget_summary",
    "last_summary",
    "note_summary",
    "record",
    "responders",
    "tallies",
]

_COLUMNS = "response, guests, interpretation, children, wheelchair"


def record(db: Database, meeting_id: str, ident: str, answer: Answer, ends: datetime) -> None:
    """File ``answer`` under ``ident``, replacing an earlier answer under the same id."""
    db.execute(
        f"INSERT INTO attendance_answer (answer_id, meeting_id, {_COLUMNS}, forget_after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (answer_id) DO UPDATE SET response = excluded.response,"
        " guests = excluded.guests, interpretation = excluded.interpretation,"
        " children = excluded.children, wheelchair = excluded.wheelchair",
        (
            ident,
            meeting_id,
            answer.response.value,
            answer.guests,
            answer.interpretation,
            answer.children,
            int(answer.wheelchair),
            stamp(ends),
        ),
    )


def earlier(db: Database, ident: str) -> Answer | None:
    """The answer filed under ``ident``, to show it again on the form."""
    row = db.execute(
        f"SELECT {_COLUMNS} FROM attendance_answer WHERE answer_id = ?", (ident,)
    ).fetchone()
    return None if row is None else _answer(row)


def _answer(row: tuple[object, ...]) -> Answer:
    response, guests, language, children, wheelchair = row
    return Answer(
        response=Reply(str(response)),
        guests=int(str(guests)),
        interpretation=str(language),
        children=int(str(children)),
        wheelchair=bool(wheelchair),
    )


def responders(db: Database, meeting_ids: Iterable[str], response: Reply) -> dict[str, set[str]]:
    """Per meeting, the opaque ids whose answer is ``response`` (to honour a "no")."""
    found: dict[str, set[str]] = {}
    for meeting_id in meeting_ids:
        rows = db.execute(
            "SELECT answer_id FROM attendance_answer WHERE meeting_id = ? AND response = ?",
            (meeting_id, response.value),
        )
        if ids := {str(row[0]) for row in rows}:
            found[meeting_id] = ids
    return found


def tallies(db: Database) -> dict[str, Tally]:
    """Every meeting's counts: live ones from the answers, final ones once it ended."""
    answers: dict[str, list[Answer]] = {}
    for row in db.execute(f"SELECT meeting_id, {_COLUMNS} FROM attendance_answer"):
        answers.setdefault(str(row[0]), []).append(_answer(tuple(row[1:])))
    found = {meeting_id: Tally.of(given) for meeting_id, given in answers.items()}
    finals: dict[str, dict[str, int]] = {}
    for meeting_id, measure, amount in db.execute(
        "SELECT meeting_id, measure, amount FROM attendance_total"
    ):
        finals.setdefault(str(meeting_id), {})[str(measure)] = int(amount)
    for meeting_id, measures in finals.items():
        found.setdefault(meeting_id, Tally.from_measures(measures))
    return found


def forget_ended(db: Database, now: datetime, ends: Mapping[str, datetime]) -> int:
    """Keep only the counts of meetings that have ended; return the answers deleted.

    ``ends`` are the meetings' ends as the meetings file has them now (a meeting
    moved later keeps its answers); a meeting no longer in the file ends when
    it ended when its answers were given.
    """
    rows = db.execute(
        "SELECT meeting_id, MAX(forget_after) FROM attendance_answer GROUP BY meeting_id"
    )
    ended = [
        str(meeting_id)
        for meeting_id, stored in rows
        if (stamp(ends[meeting_id]) if meeting_id in ends else str(stored)) <= stamp(now)
    ]
    if not ended:
        return 0
    live = tallies(db)
    deleted = 0
    with db.transaction():
        for meeting_id in ended:
            db.execute("DELETE FROM attendance_total WHERE meeting_id = ?", (meeting_id,))
            db.executemany(
                "INSERT INTO attendance_total (meeting_id, measure, amount) VALUES (?, ?, ?)",
                [(meeting_id, k, v) for k, v in live[meeting_id].measures().items()],
            )
            deleted += db.execute(
                "DELETE FROM attendance_answer WHERE meeting_id = ?", (meeting_id,)
            ).rowcount
    return deleted


def last_summary(db: Database) -> tuple[str, dict[str, dict[str, int]]] | None:
    """The day of the last summary sent, and the counts it showed per meeting."""
    row = db.execute(
        "SELECT day, measures FROM attendance_summary ORDER BY day DESC LIMIT 1"
    ).fetchone()
    return None if row is None else (str(row[0]), json.loads(str(row[1])))


def note_summary(db: Database, day: str, shown: Mapping[str, Tally]) -> bool:
    """Claim ``day``'s summary before it is sent; False if it was claimed already."""
    measures = json.dumps({key: tally.measures() for key, tally in shown.items()})
    rows = db.execute(
        "INSERT INTO attendance_summary (day, measures) VALUES (?, ?) ON CONFLICT (day) DO NOTHING",
        (day, measures),
    )
    return rows.rowcount == 1


def forget_summary(db: Database, day: str) -> None:
    """Give back ``day``'s claim: its summary was not handed over."""
    db.execute("DELETE FROM attendance_summary WHERE day = ?", (day,))
