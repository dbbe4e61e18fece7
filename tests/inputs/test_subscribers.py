"""The subscribers CSV: each problem with file and line, never with the address."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reminders.errors import DataError
from reminders.inputs.subscribers import load_subscribers, parse_address
from reminders.privacy import mask
from tests.conftest import SUBSCRIBERS

CITIES = ("Worcester", "Lowell", "New Bedford")


def problems(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "subscribers.csv"
    path.write_text("email,name,language,cities\n" + body, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_subscribers(path, CITIES)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


def test_bundled_example_is_valid_and_uses_example_domains() -> None:
    people = load_subscribers(
        SUBSCRIBERS,
        (
            "Worcester",
            "Framingham",
            "Lowell",
            "Lawrence",
            "Boston",
            "Chelsea",
            "Springfield",
            "New Bedford",
            "Brockton",
            "Waltham",
        ),
    )
    assert len(people) == 8
    assert all(p.email.endswith(("@example.org", "@example.com", "@example.net")) for p in people)


def test_empty_cities_means_all_and_empty_language_means_english(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("email,name,language,cities\na@example.org,,,\n")
    [person] = load_subscribers(path, CITIES)
    assert person.language == "en"
    assert person.wants("Lowell")
    assert person.wants("Worcester")


def test_cities_are_a_semicolon_list(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("email,name,language,cities\na@example.org,A,es,Lowell; New Bedford\n")
    [person] = load_subscribers(path, CITIES)
    assert person.cities == {"Lowell", "New Bedford"}
    assert not person.wants("Worcester")


def test_each_problem_names_its_line_but_not_the_address(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "not-an-address,A,en,\nb@example.org,B,en,Atlantis\n"
        "c@example.org,C,english!,\nC@Example.org,C2,en,\n",
    )
    assert found == [
        "2: email is not a valid email address",
        "3: no meeting is in the city 'Atlantis'",
        "4: language 'english!' is not a tag such as 'en' or 'pt-BR'",
        "5: duplicate address (first on line 4)",
    ]
    assert not any("example.org" in line or "not-an-address" in line for line in found)


def test_wrong_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("mail,name\na@example.org,A\n")
    with pytest.raises(DataError, match="first line must be: email,name,language,cities"):
        load_subscribers(path, CITIES)


@pytest.mark.parametrize(
    "address",
    [
        "a@example.org\r\nBcc: x@example.net",
        "=?utf-8?q?a?=@example.org",
        "a@example.org\n",
        "Name <a@example.org>",
        "a\u2028@example.org",
        "a@localhost",
        "0@[",
        "a@[127.0.0.1",
        "",
    ],
)
def test_header_hostile_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValueError, match="valid"):
        parse_address(address)


def _read_by_the_email_package(text: str) -> str:
    """What parse_address accepts, as the email package reads it (its fast path skips this)."""
    text = text.strip(" ")
    if not text or any(c.isspace() for c in text) or "=?" in text or len(text) > 254:
        raise ValueError("is not a valid email address")
    try:
        address = Address(addr_spec=text)
    except (HeaderParseError, ValueError, IndexError, AttributeError):
        raise ValueError("is not a valid email address") from None
    if address.addr_spec != text or not address.username:
        raise ValueError("is not a valid email address")
    if not re.fullmatch(
        r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]",
        address.domain.lower(),
    ):
        raise ValueError("has no valid domain")
    return text


def _outcome(read: Callable[[str], str], text: str) -> str:
    try:
        return "accepted " + read(text)
    except ValueError as error:
        return f"refused: {error}"


ADDRESS_LIKE = st.text(st.sampled_from("aZ09.-_+!#$%&'*/=?^`{|}~@\"()<>[]:;, é"), max_size=30)


PLAUSIBLE = st.from_regex(r"[A-Za-z0-9.+_'-]{1,12}@[a-z0-9.-]{1,12}\.[a-z]{2,4}", fullmatch=True)


@given(st.one_of(ADDRESS_LIKE, st.builds("{}@{}".format, ADDRESS_LIKE, ADDRESS_LIKE), PLAUSIBLE))
def test_an_address_is_read_as_the_email_package_reads_it(text: str) -> None:
    assert _outcome(parse_address, text) == _outcome(_read_by_the_email_package, text)


def test_mask_hides_all_but_the_first_letter() -> None:
    assert mask("maria@example.org") == "m***@example.org"


@given(st.text(max_size=200))
def test_any_csv_text_gives_subscribers_or_a_clear_error(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.csv"
        path.write_text("email,name,language,cities\n" + text, encoding="utf-8")
        try:
            load_subscribers(path, CITIES)
        except DataError as error:
            lines = [p.line for p in error.problems]
        else:
            lines = []
        assert all(line is None or line >= 1 for line in lines)


def test_an_unknown_city_gets_a_suggestion(tmp_path: Path) -> None:
    from reminders.errors import DataError
    from reminders.inputs.subscribers import load_subscribers

    path = tmp_path / "people.csv"
    path.write_text("email,name,language,cities\nana@example.org,Ana,en,Worcestor\n")
    try:
        load_subscribers(path, ["Worcester", "Lowell"])
    except DataError as error:
        [problem] = error.problems
        assert problem.line == 2
        assert "no meeting is in the city 'Worcestor' (did you mean 'Worcester'?)" in str(problem)
    else:
        raise AssertionError("an unknown city passed")


TEXT_HEADER = "email,name,language,cities,phone,channels,sms_consent\n"


def test_a_list_that_texts_reads_numbers_into_e164_and_channels(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text(
        TEXT_HEADER + "a@example.org,A,en,,,,\n"
        ",Luz,es,Lowell,(617) 555-0101,sms,2011-02-10\n"
        "b@example.org,B,en,,617-555-0102,email;sms,2011-02-10\n",
        encoding="utf-8",
    )
    a, luz, b = load_subscribers(path, CITIES)
    assert (a.channels, a.phone) == (frozenset({"email"}), "")
    assert (luz.email, luz.phone, luz.key) == ("", "+16175550101", "sms:+16175550101")
    assert luz.sms_consent == "list, agreed 2011-02-10"
    assert b.channels == frozenset({"email", "sms"})
    assert [v.key for v in b.views(texting=True)] == ["b@example.org", "sms:+16175550102"]
    assert [v.key for v in b.views(texting=False)] == ["b@example.org"]


def test_each_number_problem_names_its_line_but_never_the_number(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text(
        TEXT_HEADER + ",A,en,,555-0100,sms,2011-02-10\n"
        ",B,en,,1-800-555-0100,sms,2011-02-10\n"
        ",C,en,,617-555-0103,sms,\n"
        "d@example.org,D,en,,,sms,2011-02-10\n"
        ",E,en,,617-555-0105,email,\n"
        ",F,en,,617-555-0106,sms;fax,2011-02-10\n"
        ",G,en,,+16175550106,sms,2011-02-10\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as caught:
        load_subscribers(path, CITIES)
    found = [f"{p.line}: {p.message}" for p in caught.value.problems]
    assert found == [
        "2: phone is not a valid phone number",
        "2: channel 'sms' needs a phone number",
        "3: phone is not a mobile number (texts need one)",
        "3: channel 'sms' needs a phone number",
        "4: channel 'sms' needs sms_consent: the date the person agreed to texts "
        "(YYYY-MM-DD); they are still asked to reply YES first",
        "5: channel 'sms' needs a phone number",
        "6: channel 'email' needs an email address",
        "7: channel 'fax' is not one of: email, sms",
        "8: duplicate phone number (first on line 7)",
    ]
    assert not any("555" in line or "617" in line for line in found)
