"""Catalogs, language choice and per-locale dates: every first-wave language covered."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from reminders import bundled
from reminders.cli import work
from reminders.i18n.languages import LANGUAGES, REVIEWED, SOURCE, catalog_state, choose
from reminders.i18n.phrasing import babel_locale, duration_phrase, short_day_phrase, when_phrase
from reminders.settings import load_settings
from tests.conftest import NEW_YORK, ROOT, set_setting
from tests.support.mailsink import SinkServer

LOCALE = bundled.LOCALE
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")
WAVE = [tag for tag in LANGUAGES if tag != SOURCE]
START = datetime(2011, 2, 26, 14, tzinfo=NEW_YORK)


def extracted() -> set[str]:
    """Every message the code and templates use, extracted as `make messages` does."""
    method_map = [("reminders/**.py", "python"), ("reminders/templates/**.j2", "jinja2")]
    options = {"reminders/templates/**.j2": {"extensions": "jinja2.ext.i18n"}}
    found = extract_from_dir(
        str(ROOT), method_map, options, keywords={"_": None, "gettext": None, "N_": None}
    )
    return {message[2] for message in found if isinstance(message[2], str)}


def catalog(tag: str) -> dict[str, tuple[str, bool]]:
    path = LOCALE / babel_locale(tag) / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return {str(m.id): (str(m.string), m.fuzzy) for m in read_po(handle) if m.id}


@pytest.mark.parametrize("tag", WAVE)
def test_catalog_has_every_string_with_its_placeholders(tag: str) -> None:
    entries = catalog(tag)
    assert extracted() - set(entries) == set(), f"{tag} misses strings: run make messages"
    for msgid, (msgstr, _) in entries.items():
        assert msgstr, f"{tag}: {msgid!r} has no translation"
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), (
            f"{tag}: {msgid!r} -> {msgstr!r} breaks a placeholder"
        )


def test_language_marked_reviewed_has_no_fuzzy_entry() -> None:
    # REVIEWED is empty until a fluent speaker clears a catalog (see the README).
    assert all(catalog_state((LOCALE,), tag) == "reviewed" for tag in REVIEWED)
    assert catalog_state((LOCALE,), SOURCE) == "reviewed"


def test_drafts_are_flagged_and_say_so() -> None:
    for tag in set(WAVE) - REVIEWED:
        path = LOCALE / babel_locale(tag) / "LC_MESSAGES" / "messages.po"
        assert catalog_state((LOCALE,), tag) == "draft"
        assert "Draft: machine-written, not yet reviewed" in path.read_text(encoding="utf-8")


def test_choice_keeps_order_skips_unusable_and_ends_in_english() -> None:
    assert [c.tag for c in choose(["fr", "vi", "ht"], (LOCALE,), ["ht"])] == ["ht", "en"]
    assert [c.tag for c in choose(["es"], (LOCALE,), [])] == ["en"]
    assert choose(["ar"], (LOCALE,), ["ar"])[0].dir == "rtl"
    assert choose(["ar"], (LOCALE,), ["ar"])[0].draft


@pytest.mark.parametrize("tag", list(LANGUAGES))
def test_dates_are_written_in_each_language_and_name_the_zone(tag: str) -> None:
    text = when_phrase(START, START + timedelta(hours=2), tag)
    assert "M02" not in text
    assert "Sat" not in text or tag == "en"
    assert "New York" not in text
    assert duration_phrase(timedelta(days=3), tag)
    assert short_day_phrase(START, tag)


def test_haitian_creole_gets_its_own_names() -> None:
    assert when_phrase(START, START + timedelta(hours=2), "ht") == (
        "samdi 26 fevriye 2011, 14:00–16:00 lè Lès Etazini"
    )
    assert duration_phrase(timedelta(days=3), "ht") == "nan 3 jou"


def test_traditional_chinese_twelve_hour_range_works() -> None:
    text = when_phrase(START, START + timedelta(hours=2), "zh-Hant")
    assert "下午2:00–下午4:00" in text


def write_people(home: Path, rows: str) -> None:
    (home / "data" / "subscribers.example.csv").write_text(
        "email,name,language,cities\n" + rows, encoding="utf-8"
    )


def test_drafts_allowed_go_out_whole_in_their_language(
    mail_workspace: Path, smtp: SinkServer
) -> None:
    write_people(
        mail_workspace,
        "kreyol@example.org,Jan,ht,\narab@example.org,,ar,\n"
        "chain@example.org,,vi;ht;es,\nplain@example.org,,es,\n",
    )
    set_setting(mail_workspace, '[languages]\nallow_drafts = ["ht", "ar"]')
    settings = load_settings(mail_workspace / "reminders.toml", mail_workspace)
    work.send(settings, datetime(2011, 2, 23, 9, 5, tzinfo=NEW_YORK))
    [kreyol] = smtp.sink.to("kreyol@example.org")
    assert kreyol.message["Content-Language"] == "ht"
    assert kreyol.message["Subject"] == "Rapèl: reyinyon Worcester nan 3 jou (samdi 26 fevriye)"
    text = kreyol.message.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "Se yon machin ki tradui mesaj sa a" in body
    assert "samdi 26 fevriye 2011, 14:00–16:00 lè Lès Etazini" in body
    for english in ("Reminder", "Hello", "Saturday", "When:", "Stop these emails"):
        assert english not in body
    [arab] = smtp.sink.to("arab@example.org")
    assert arab.message["Content-Language"] == "ar"
    html = arab.message.get_body(("html",))
    assert html is not None
    assert '<html lang="ar" dir="rtl">' in html.get_content()
    assert "تذكير" in arab.message["Subject"]
    [chain] = smtp.sink.to("chain@example.org")
    assert chain.message["Content-Language"] == "ht"  # vi is a draft not allowed: next usable
    [plain] = smtp.sink.to("plain@example.org")
    assert plain.message["Content-Language"] == "en"  # es is not allowed: English, whole
    assert plain.message["Subject"].startswith("Reminder: Worcester")


def test_usable_languages_get_their_own_landing_page_and_feed(workspace: Path) -> None:
    from icalendar import Calendar

    set_setting(workspace, '[languages]\nallow_drafts = ["es"]')
    settings = load_settings(workspace / "reminders.toml", workspace)
    work.build(settings, datetime(2011, 2, 15, tzinfo=NEW_YORK))
    public = settings.public
    assert (public / "index.es.html").is_file()
    assert not (public / "index.ar.html").exists()  # a draft not allowed gets no page
    spanish = Calendar.from_ical((public / "meetings.es.ics").read_bytes())
    english = Calendar.from_ical((public / "meetings.ics").read_bytes())
    uids = [str(e["UID"]) for e in spanish.walk("VEVENT")]
    assert uids == [str(e["UID"]) for e in english.walk("VEVENT")]
    waltham = next(e for e in spanish.walk("VEVENT") if "waltham" in str(e["UID"]))
    assert str(waltham["LOCATION"]) == "Lugar por anunciar"
    assert "Detalles y novedades:" in str(waltham["DESCRIPTION"])
    page = (public / "index.es.html").read_text(encoding="utf-8")
    assert '<html lang="es" dir="ltr">' in page
    assert "sábado, 26 de febrero de 2011" in page
    # The language withdrawn: its files go.
    (workspace / "reminders.toml").write_text(
        (workspace / "reminders.toml").read_text().replace('allow_drafts = ["es"]', "")
    )
    work.build(
        load_settings(workspace / "reminders.toml", workspace),
        datetime(2011, 2, 16, tzinfo=NEW_YORK),
    )
    assert not (public / "index.es.html").exists()
    assert not (public / "meetings.es.ics").exists()
