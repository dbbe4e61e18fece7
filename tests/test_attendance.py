"""Counts, not a list: one answer's values, a meeting's tally, and what the public may see."""

from __future__ import annotations

import pytest

from reminders.attendance import (
    Answer,
    Reply,
    Tally,
    answer_from_form,
    answer_id,
    answering,
    interpretation_choices,
    public_phrase,
)
from reminders.inputs.subscribers import Subscriber

YES, MAYBE, NO = Reply.YES, Reply.MAYBE, Reply.NO


def test_a_tally_counts_needs_only_of_people_coming() -> None:
    tally = Tally.of(
        [
            Answer(response=YES, guests=1, interpretation="es", children=2),
            Answer(response=MAYBE, guests=2, interpretation="es", wheelchair=True),
            Answer(response=NO, guests=5, interpretation="ht", children=3, wheelchair=True),
        ]
    )
    assert (tally.yes, tally.maybe, tally.no) == (1, 1, 1)
    assert (tally.guests, tally.maybe_guests, tally.children, tally.wheelchair) == (1, 2, 2, 1)
    assert tally.interpretation == {"es": 2}
    assert tally.expected == 2  # the "yes" and their guest
    assert tally.most == 5  # and the "maybe" with theirs


def test_a_tally_keeps_its_numbers_through_the_store_s_named_measures() -> None:
    tally = Tally.of([Answer(response=YES, guests=2, interpretation="ht"), Answer(response=NO)])
    assert Tally.from_measures(tally.measures()) == tally


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"response": "yes"}, Answer(response=YES)),
        (
            {"response": "maybe", "guests": "9", "children": "1", "interpretation": "other"},
            Answer(response=MAYBE, guests=9, children=1, interpretation="other"),
        ),
        ({"response": "no", "wheelchair": "yes"}, Answer(response=NO, wheelchair=True)),
        ({"response": ""}, None),
        ({"response": "YES"}, None),
        ({"response": "yes", "guests": "10"}, None),
        ({"response": "yes", "guests": "-1"}, None),
        ({"response": "yes", "guests": "٣"}, None),  # a digit, but not one the form offers
        ({"response": "yes", "interpretation": "fr"}, None),  # not offered by this meeting
    ],
)
def test_the_form_is_read_strictly(form: dict[str, str], expected: Answer | None) -> None:
    assert answer_from_form(form, ["es", "ht"]) == expected


def test_a_meeting_without_listed_interpretation_offers_every_first_wave_language() -> None:
    assert interpretation_choices(["pt-BR"]) == ["pt-BR", "other"]
    offered = interpretation_choices([])
    assert offered[0] == "es"
    assert offered[-1] == "other"
    assert "en" not in offered


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (0, None),
        (1, ("A few people plan to come", 0)),
        (4, ("A few people plan to come", 0)),
        (5, ("%(count)s or more people plan to come", 5)),
        (9, ("%(count)s or more people plan to come", 5)),
        (10, ("%(count)s or more people plan to come", 10)),
        (24, ("%(count)s or more people plan to come", 10)),
        (25, ("%(count)s or more people plan to come", 25)),
        (99, ("%(count)s or more people plan to come", 50)),
        (640, ("%(count)s or more people plan to come", 100)),
    ],
)
def test_the_public_sees_ranges_never_a_count_below_five(
    count: int, said: tuple[str, int] | None
) -> None:
    assert public_phrase(count) == said


def test_an_answer_id_names_nobody_and_one_meeting() -> None:
    key = b"k" * 32
    ident = answer_id(key, "2011-02-26-worcester", "Ana@Example.org")
    assert ident == answer_id(key, "2011-02-26-worcester", "ana@example.org")
    assert ident != answer_id(key, "2011-03-12-framingham", "ana@example.org")
    assert ident != answer_id(b"j" * 32, "2011-02-26-worcester", "ana@example.org")
    assert "ana" not in ident
    assert "example" not in ident


def test_answers_given_under_an_older_key_still_count() -> None:
    old, new = b"o" * 32, b"n" * 32
    ana = Subscriber(email="ana@example.org")
    maria = Subscriber(email="maria@example.org")
    ids = {answer_id(old, "m", ana.email)}
    assert answering([ana, maria], "m", ids, [new, old]) == {"ana@example.org"}
    assert answering([ana, maria], "m", ids, [new]) == set()
