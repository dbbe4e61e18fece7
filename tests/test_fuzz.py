"""Fuzzing every reader of outside input: a valid result or a clear error, never a crash."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reminders.errors import ConfigError, DataError
from reminders.inputs.meetings_file import MEETING_KEYS, load_series
from reminders.settings import load_settings
from reminders.tokens import InvalidToken, Secret, make_token, read_token
from tests.conftest import MEETINGS, ROOT

# Every field the meetings file knows, and two typos of them.
KEYS = [*MEETING_KEYS, "venu", "data"]
values = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.booleans(),
    st.sampled_from(
        [
            "2011-02-30",
            "2pm",
            "14:00",
            "25:00",
            "TBD",
            "cancelled",
            "America/New_York",
            "Mars/Base",
            "2011-03-13",
            "02:30",
            "noon",
        ]
    ),
)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if text[:4].isdigit() and text.count("-") == 2 and len(text) == 10:
        return text  # a bare TOML date, possibly impossible
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


meeting_tables = st.lists(st.dictionaries(st.sampled_from(KEYS), values, max_size=8), max_size=4)


def in_a_file(text: str, name: str) -> Path:
    folder = Path(tempfile.mkdtemp())
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(meeting_tables)
def test_any_meetings_file_loads_or_reports_located_problems(
    tables: list[dict[str, object]],
) -> None:
    text = MEETINGS.read_text(encoding="utf-8").split("[[meeting]]")[0]
    for table in tables:
        text += "\n[[meeting]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in table.items())
    path = in_a_file(text, "meetings.toml")
    try:
        series = load_series(path)
    except DataError as error:
        assert error.problems
        assert all(p.line is None or 1 <= p.line <= text.count("\n") + 1 for p in error.problems)
        assert all(str(path) in str(p) for p in error.problems)
    else:
        assert all(m.end > m.start for m in series)
        assert all(m.start.tzinfo is not None for m in series)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_any_text_as_a_meetings_file_never_crashes(text: str) -> None:
    try:
        load_series(in_a_file(text, "meetings.toml"))
    except DataError as error:
        assert error.problems


settings_keys = st.sampled_from(
    [
        "meetings",
        "state",
        "base_url",
        "public",
        "bogus",
        "[feed]\nrefresh",
        "[reminders]\noffsets",
        "[reminders]\nsend_time",
        "[mail]\nmax_per_minute",
        "[mail]\ntimeout",
        "[notices]\naudience",
    ]
)
settings_values = st.one_of(
    values, st.lists(st.sampled_from(["3 days", "2h", "x", "0 days"]), max_size=3)
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(settings_keys, settings_values, max_size=3))
def test_any_settings_file_loads_or_reports_located_problems(entries: dict[str, object]) -> None:
    text = ""
    for key, value in entries.items():
        rendered = (
            "[" + ", ".join(toml_value(v) for v in value) + "]"
            if isinstance(value, list)
            else toml_value(value)
        )
        text += f"{key} = {rendered}\n"
    path = in_a_file(text, "reminders.toml")
    try:
        load_settings(path, path.parent)
    except ConfigError as error:
        assert error.problems
        assert all(str(path) in str(p) for p in error.problems)


SECRET = Secret((b"k" * 32,))


@given(st.text(max_size=120), st.sampled_from(["unsubscribe", "preferences", "confirm"]))
def test_no_random_token_is_accepted(token: str, purpose: str) -> None:
    try:
        read_token(SECRET, token, purpose, datetime.now(UTC))
    except InvalidToken:
        return
    raise AssertionError(f"accepted {token!r}")


@given(st.emails(), st.integers(0, 50), st.characters(codec="ascii"))
def test_a_token_changed_anywhere_is_refused(address: str, where: int, replacement: str) -> None:
    token = make_token(SECRET, address, "unsubscribe")
    position = where % len(token)
    if token[position] == replacement:
        return
    altered = token[:position] + replacement + token[position + 1 :]
    try:
        read_token(SECRET, altered, "unsubscribe", datetime.now(UTC))
    except InvalidToken:
        return
    raise AssertionError(f"accepted {altered!r}")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    form=st.dictionaries(
        st.sampled_from(["email", "name", "language", "cities", "csrf", "action"]),
        st.one_of(st.text(max_size=60), st.lists(st.text(max_size=20), max_size=3)),
        max_size=6,
    ),
    path=st.sampled_from(["/subscribe", "/unsubscribe", "/preferences", "/confirm"]),
    query=st.text(max_size=40),
)
def test_any_form_post_gets_a_page_never_a_server_error(
    form: dict[str, object], path: str, query: str
) -> None:
    from urllib.parse import quote

    client = _app().test_client()
    client.get("/")
    response = client.post(f"{path}?token={quote(query)}", data=form)
    assert response.status_code in (200, 400, 403, 429)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


_APP: list[Flask] = []


def _app() -> Flask:
    """One in-process application over a scratch state (no network: its mailer never runs)."""
    if not _APP:
        from reminders.web.app import create_app

        folder = Path(tempfile.mkdtemp())
        (folder / "reminders.toml").write_text(
            f'meetings = "{MEETINGS}"\n'
            f'subscribers = "{ROOT / "data" / "subscribers.example.csv"}"\n'
            '[mail]\ntransport = "maildir:outbox"\n'
        )
        app = create_app(load_settings(folder / "reminders.toml", folder), signups_per_client=10**6)
        _APP.append(app)
    return _APP[0]
