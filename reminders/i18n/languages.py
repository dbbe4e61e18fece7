"""The languages messages are written in: catalogs, their review state, the choice.

Translations are gettext catalogs under ``locale/`` (``locale/<ll_CC>/LC_MESSAGES/
messages.po``), read with Babel. A language is *reviewed* when its catalog is
complete and has no fuzzy entry; a translation nobody fluent has checked is
a draft (fuzzy, with a comment saying so). Only reviewed languages are used,
plus the drafts that ``[languages] allow_drafts`` names; English, the
language of the templates, is always usable. A message uses the first usable
language of the subscriber's list, for every string in it.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from reminders.i18n.phrasing import babel_locale

__all__ = [
    "ENGLISH",
    "LANGUAGES",
    "N_",
    "REVIEWED",
    "RIGHT_TO_LEFT",
    "SOURCE",
    "TBD_LOCATION",
    "Language",
    "catalog_digest",
    "catalog_state",
    "choose",
    "translations",
    "usable",
]

SOURCE = "en"
# The first wave, by native name, as the forms offer them.
LANGUAGES = {
    "en": "English",
    "es": "Español",
    "pt-BR": "Português (Brasil)",
    "ht": "Kreyòl ayisyen",
    "zh-Hans": "中文（简体）",
    "zh-Hant": "中文（繁體）",
    "vi": "Tiếng Việt",
    "kea": "Kabuverdianu",
    "ar": "العربية",
}
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})
# Languages whose catalogs a fluent speaker has reviewed (their state must be "reviewed":
# a test holds them to it). None yet: every first-wave translation is a draft.
REVIEWED: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class Language:
    """A language a message is written in, as templates see it."""

    tag: str
    draft: bool = False

    @property
    def dir(self) -> str:
        return "rtl" if self.tag.split("-")[0] in RIGHT_TO_LEFT else "ltr"


ENGLISH = Language(tag=SOURCE)  # the source language: always usable, never a draft


def N_(text: str) -> str:
    """Mark a string for the catalogs; whoever shows it translates it then."""
    return text


# What every page, feed and message says of a meeting whose venue is not known yet.
TBD_LOCATION = N_("Location to be announced")


Locales = Sequence[Path]  # folders of catalogs, searched in order (see reminders.bundled)


def _path(folders: Locales, tag: str) -> Path:
    """The first of the folders' catalogs for ``tag`` (or where the last would be)."""
    paths = [folder / babel_locale(tag) / "LC_MESSAGES" / "messages.po" for folder in folders]
    return next((path for path in paths if path.is_file()), paths[-1])


@functools.lru_cache(maxsize=64)
def _catalog(path: Path, stamp: float) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _load(folders: Locales, tag: str) -> Catalog | None:
    path = _path(folders, tag)
    try:
        return _catalog(path, path.stat().st_mtime)
    except FileNotFoundError:
        return None


def catalog_state(folders: Locales, tag: str) -> str:
    """``"reviewed"``, ``"draft"`` or ``"missing"`` (English is the source: reviewed)."""
    if tag == SOURCE:
        return "reviewed"
    catalog = _load(folders, tag)
    if catalog is None:
        return "missing"
    entries = [m for m in catalog if m.id]
    complete = all(m.string for m in entries)
    return "reviewed" if complete and not any(m.fuzzy for m in entries) else "draft"


def usable(folders: Locales, allow_drafts: Iterable[str]) -> list[Language]:
    """Every first-wave language that may be used now, English first."""
    return choose(list(LANGUAGES), folders, allow_drafts)


def choose(wanted: Sequence[str], folders: Locales, allow_drafts: Iterable[str]) -> list[Language]:
    """The usable languages of ``wanted``, in order, ending with English."""
    allowed = set(allow_drafts)
    chosen: list[Language] = []
    for tag in [*wanted, SOURCE]:
        state = catalog_state(folders, tag)
        usable = state == "reviewed" or (state == "draft" and tag in allowed)
        if usable and all(c.tag != tag for c in chosen):
            chosen.append(Language(tag=tag, draft=state == "draft"))
    return chosen


def catalog_digest(folders: Locales, language: Language) -> str:
    """A digest of the catalog :func:`translations` reads ("" for English, the source)."""
    if language.tag == SOURCE:
        return ""
    path = _path(folders, language.tag)
    return _digest(path, path.stat().st_mtime)


@functools.lru_cache(maxsize=64)
def _digest(path: Path, stamp: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.lru_cache(maxsize=64)
def _compiled(path: Path, stamp: float) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, _catalog(path, stamp), use_fuzzy=True)
    buffer.seek(0)
    return Translations(buffer)


def translations(folders: Locales, language: Language) -> NullTranslations:
    """The gettext translations of ``language`` (drafts' fuzzy entries included)."""
    if language.tag == SOURCE:
        return NullTranslations()
    path = _path(folders, language.tag)
    return _compiled(path, path.stat().st_mtime)
