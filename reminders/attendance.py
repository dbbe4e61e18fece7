"""Who is coming, as counts: one answer's values, a meeting's tally, what the public sees.

Pure. An :class:`Answer` is what one person (and the people who come with
them) told the organizers; a :class:`Tally` is what the organizers see of a
meeting: sums, never a list. An answer is filed under an opaque id made
from the person's address, the meeting and the link key (:func:`answer_id`),
so answering again replaces the earlier answer, and nothing stored names
anyone. Answers from the landing page get a random id instead.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field

from reminders.i18n.languages import LANGUAGES, N_, SOURCE
from reminders.inputs.subscribers import Subscriber

__all__ = [
    "MOST",
    "OTHER",
    "Answer",
    "Reply",
    "Tally",
    "anonymous_id",
    "answer_from_form",
    "answer_id",
    "answering",
    "interpretation_choices",
    "public_phrase",
]

MOST = 9  # guests or children one answer may bring: a household, not a delegation
OTHER = "other"  # an interpretation language the meeting does not list


class Reply(enum.StrEnum):
    """What a person answers: coming, perhaps, or not."""

    YES = "yes"
    MAYBE = "maybe"
    NO = "no"


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """One person's answer for one meeting, with what their party needs."""

    response: Reply
    guests: int = 0
    interpretation: str = ""  # a language tag, OTHER, or "" for none
    children: int = 0  # children who need childcare
    wheelchair: bool = False

    @property
    def coming(self) -> bool:
        return self.response is not Reply.NO


@dataclass(frozen=True, slots=True, kw_only=True)
class Tally:
    """A meeting's answers as counts; needs are counted for "yes" and "maybe" only."""

    yes: int = 0
    maybe: int = 0
    no: int = 0
    guests: int = 0  # people coming along with a "yes"
    maybe_guests: int = 0  # people coming along with a "maybe"
    children: int = 0
    wheelchair: int = 0
    interpretation: Mapping[str, int] = field(default_factory=dict)

    @property
    def expected(self) -> int:
        """People who said they will come, with those they bring."""
        return self.yes + self.guests

    @property
    def most(self) -> int:
        """Everyone who may come: the expected, and the "maybe" with their guests."""
        return self.expected + self.maybe + self.maybe_guests

    @classmethod
    def of(cls, answers: Sequence[Answer]) -> Tally:
        languages: dict[str, int] = {}
        for answer in answers:
            if answer.coming and answer.interpretation:
                languages[answer.interpretation] = languages.get(answer.interpretation, 0) + 1
        coming = [a for a in answers if a.coming]
        return cls(
            yes=sum(a.response is Reply.YES for a in answers),
            maybe=sum(a.response is Reply.MAYBE for a in answers),
            no=sum(a.response is Reply.NO for a in answers),
            guests=sum(a.guests for a in answers if a.response is Reply.YES),
            maybe_guests=sum(a.guests for a in answers if a.response is Reply.MAYBE),
            children=sum(a.children for a in coming),
            wheelchair=sum(a.wheelchair for a in coming),
            interpretation=dict(sorted(languages.items())),
        )

    def measures(self) -> dict[str, int]:
        """The tally as named numbers (how the state keeps a meeting's final count)."""
        named = {
            "yes": self.yes,
            "maybe": self.maybe,
            "no": self.no,
            "guests": self.guests,
            "maybe_guests": self.maybe_guests,
            "children": self.children,
            "wheelchair": self.wheelchair,
        }
        return named | {f"interpretation:{tag}": n for tag, n in self.interpretation.items()}

    @classmethod
    def from_measures(cls, measures: Mapping[str, int]) -> Tally:
        prefix = "interpretation:"
        languages = {k.removeprefix(prefix): v for k, v in measures.items() if k.startswith(prefix)}
        plain = {k: v for k, v in measures.items() if not k.startswith(prefix)}
        return cls(**plain, interpretation=dict(sorted(languages.items())))


def answer_id(key: bytes, meeting_id: str, address: str) -> str:
    """The opaque id a subscriber's answers for one meeting are filed under."""
    text = "\x00".join(("rsvp", meeting_id, address.lower())).encode("utf-8")
    return hmac.new(key, text, hashlib.sha256).hexdigest()[:24]


def answering(
    people: Iterable[Subscriber], meeting_id: str, ids: Set[str], keys: Sequence[bytes]
) -> set[str]:
    """The keys of the people whose answer for the meeting is filed under one of ``ids``.

    Every key is tried, so an answer given through a link signed before a key
    rotation still counts.
    """
    return {
        person.key
        for person in people
        if any(answer_id(key, meeting_id, person.email) in ids for key in keys)
    }


def anonymous_id() -> str:
    """A fresh id for an answer given on the landing page, linked to nobody."""
    return "w" + secrets.token_hex(12)


def interpretation_choices(offered: Sequence[str]) -> list[str]:
    """The languages an answer may ask interpretation into, then :data:`OTHER`.

    A meeting that lists its interpretation offers those; one that lists none
    offers every first-wave language, since the organizers are asking whether
    to book it.
    """
    listed = list(offered) or [tag for tag in LANGUAGES if tag != SOURCE]
    return [*listed, OTHER]


def _count(raw: object) -> int | None:
    text = str(raw or "0").strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) <= MOST else None


def answer_from_form(form: Mapping[str, str], offered: Sequence[str]) -> Answer | None:
    """Read the answer form; None when a field holds something the form never offers."""
    try:
        response = Reply(form.get("response", ""))
    except ValueError:
        return None
    guests, children = _count(form.get("guests")), _count(form.get("children"))
    language = form.get("interpretation", "")
    if guests is None or children is None:
        return None
    if language and language not in interpretation_choices(offered):
        return None
    return Answer(
        response=response,
        guests=guests,
        interpretation=language,
        children=children,
        wheelchair=form.get("wheelchair") == "yes",
    )


# What the public may see of a number: never an exact small count (one or two people
# asking for a language in a small town may be known by name).
FEW = 5
_STEPS = (100, 50, 25, 10, FEW)


def public_phrase(count: int) -> tuple[str, int] | None:
    """How a public page says ``count`` people: a message id and the number it names."""
    if count <= 0:
        return None
    for step in _STEPS:
        if count >= step:
            return N_("%(count)s or more people plan to come"), step
    return N_("A few people plan to come"), 0
