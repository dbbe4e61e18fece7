"""Reading TOML a table at a time: the values and messages of reading the whole file."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reminders.errors import DataError
from reminders.inputs.toml_lines import read_toml

HEADS = (
    '[calendar]\nname = "Meetings"\n',
    "",
    '[calendar]\ndescription = """\n[[meeting]]\n"""\n',  # a header inside the head's string
    'meeting = ["given before the tables"]\n',
    "[meeting.defaults]\ncity = 'Lowell'\n",
)

PARTS = (
    '[[meeting]]\nid = "m{n}"\nstart = 1{n}:00:00\n\n',
    '[[meeting]]\nid = "m{n}"\nnotes = """\nfirst\n[[meeting]]\nlast"""\n',
    "[[meeting]]\nid = 'm{n}'\nnotes = '''\n[[meeting]]\n'''\n",
    '[[meeting]]\nid = "m{n}"\n[meeting.translations.es]\ntitle = "Reunión {n}"\n',
    '[[meeting]]\nid = "m{n}"\n[[meeting.sessions]]\nroom = {n}\n',
    "[[other]]\nn = {n}\n",
    "[extra{n}]\nn = {n}\n",  # a table of another kind after the arrays
    '[[meeting]] # a comment after the header\nid = "m{n}"\n',
    '[[ meeting ]]\nid = "m{n}"\n',
    '[meeting]\nid = "m{n}"\n',  # not an array here: the whole file is wrong
    '[[meeting]]\nid = "m{n}"\nid = "again"\n',
    '[[meeting]]\nid = "m{n}\n',  # an unterminated string
    "# only a comment {n}\n",
)


def outcome(path: Path, tables: dict[str, dict[str, Any]] | None) -> object:
    """The values read, or the messages of the problems."""
    try:
        return read_toml(path, tables).data
    except DataError as error:
        return [str(problem) for problem in error.problems]


def whole(path: Path) -> object:
    return outcome(path, None)


files = st.tuples(
    st.sampled_from(HEADS),
    st.lists(st.sampled_from(PARTS), max_size=6),
    st.booleans(),
)


def text_of(head: str, parts: list[str], crlf: bool) -> str:
    text = head + "".join(part.format(n=n) for n, part in enumerate(parts))
    return text.replace("\n", "\r\n") if crlf else text


@given(first=files, second=files)
def test_a_reading_a_table_at_a_time_gives_what_the_whole_file_gives(
    first: tuple[str, list[str], bool], second: tuple[str, list[str], bool]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "meetings.toml"
        tables: dict[str, dict[str, Any]] = {}
        for head, parts, crlf in (first, second, first):  # each reading keeps the last's tables
            path.write_text(text_of(head, parts, crlf), encoding="utf-8", newline="")
            assert outcome(path, tables) == whole(path)


# Parts a reading a table at a time takes as they are (the others make it parse the whole).
PLAIN = (PARTS[0], PARTS[3], PARTS[4], PARTS[5])


@given(parts=st.lists(st.sampled_from(PLAIN), min_size=1, max_size=6), crlf=st.booleans())
def test_a_file_of_plain_tables_is_read_a_table_at_a_time(parts: list[str], crlf: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "meetings.toml"
        path.write_text(text_of(HEADS[0], parts, crlf), encoding="utf-8", newline="")
        tables: dict[str, dict[str, Any]] = {}
        assert outcome(path, tables) == whole(path)
        assert len(tables) == len(parts)  # each part kept: the whole text was not parsed


def test_an_unchanged_table_is_not_parsed_again(tmp_path: Path) -> None:
    path = tmp_path / "meetings.toml"
    path.write_text('[calendar]\nname = "M"\n[[meeting]]\nid = "a"\n[[meeting]]\nid = "b"\n')
    tables: dict[str, dict[str, Any]] = {}
    before = read_toml(path, tables).data["meeting"]
    path.write_text('[calendar]\nname = "M"\n[[meeting]]\nid = "a"\n[[meeting]]\nid = "c"\n')
    after = read_toml(path, tables).data["meeting"]
    assert after[0] is before[0]
    assert after[1] == {"id": "c"}
    assert sorted(tables) == ['[[meeting]]\nid = "a"\n', '[[meeting]]\nid = "c"\n']


def test_the_whole_file_s_message_is_given_when_a_table_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "meetings.toml"
    path.write_text('[calendar]\nname = "M"\n[[meeting]]\nid = "a"\nid = "b"\n')
    twice = f"{path}:5: not valid TOML: 'id' is given twice in the same table; keep one"
    assert outcome(path, {}) == [twice]
