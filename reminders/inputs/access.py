"""Language access for a meeting: interpretation, childcare, wheelchair access, transit.

Whether there is interpretation, childcare or a step-free way in decides
whether many people can come at all, so these fields are validated like the
rest of the meetings file and shown wherever the meeting is: the feed's
DESCRIPTION, the landing page and every email. Free text may be given per
language (``[meeting.translations.es]``), with a fallback order from the
reader's language to its base language to the untranslated text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError

from reminders.inputs.text import LANGUAGE_TAG

__all__ = ["TRANSLATABLE", "Access", "read_access"]

TRANSLATABLE = ("title", "notes", "transit")
# BCP 47 names American Sign Language "ase"; people write "asl".
_ALIASES = {"asl": "ase"}
_SIGN_LANGUAGES = {"ase": "American Sign Language"}

Report = Callable[[str, str], None]  # (message, key)


@dataclass(frozen=True, slots=True, kw_only=True)
class Access:
    """What a meeting offers so people can come, and its text in other languages."""

    interpretation: tuple[str, ...] = ()
    childcare: bool | None = None  # None: not said
    wheelchair: bool | None = None  # None: not known
    transit: str | None = None
    translations: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def text(self, field: str, language: str, default: str | None) -> str | None:
        """``field`` in ``language``, else in its base language (pt-BR -> pt), else ``default``."""
        table = dict(self.translations)
        for tag in (language, language.split("-")[0]):
            if tag in table and (value := dict(table[tag]).get(field)):
                return value
        return default

    def lines(self, language: str = "en", gettext: Callable[[str], str] = str) -> list[str]:
        """Each offer as a short line in ``language`` (``gettext`` translates the wording)."""
        found = []
        if self.interpretation:
            names = ", ".join(_language_name(code, language) for code in self.interpretation)
            found.append(gettext("Interpretation: %(languages)s") % {"languages": names})
        if self.childcare is not None:
            found.append(
                gettext("Childcare provided") if self.childcare else gettext("No childcare")
            )
        if self.wheelchair is not None:
            found.append(
                gettext("Wheelchair accessible")
                if self.wheelchair
                else gettext("Not wheelchair accessible")
            )
        transit = self.text("transit", language, self.transit)
        if transit:
            found.append(gettext("Getting there: %(directions)s") % {"directions": transit})
        return found


def _language_name(code: str, language: str) -> str:
    if code in _SIGN_LANGUAGES and language == "en":
        return _SIGN_LANGUAGES[code]
    try:
        display = "en" if language.startswith("ht") else language.replace("-", "_")
        name = Locale.parse(code.replace("-", "_")).get_display_name(display)
    except (ValueError, UnknownLocaleError):
        return code
    return name or code


def _tag(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    tag = _ALIASES.get(value.strip().lower(), value.strip())
    return tag if LANGUAGE_TAG.match(tag) else None


def read_access(item: Mapping[str, Any], report: Report) -> Access:
    """Read and validate the access fields of one ``[[meeting]]`` table."""
    interpretation: list[str] = []
    raw = item.get("interpretation", [])
    if not isinstance(raw, list):
        report(
            'interpretation must be a list of language codes such as ["es", "asl"]',
            "interpretation",
        )
    else:
        for value in raw:
            tag = _tag(value)
            if tag is None:
                report(
                    f"interpretation: {value!r} is not a language code such as 'es' or 'asl'",
                    "interpretation",
                )
            else:
                interpretation.append(tag)
    childcare = item.get("childcare")
    if childcare is not None and not isinstance(childcare, bool):
        report("childcare must be true or false", "childcare")
        childcare = None
    wheelchair = item.get("wheelchair_access", "unknown")
    if wheelchair == "unknown":
        wheelchair = None
    elif not isinstance(wheelchair, bool):
        report('wheelchair_access must be true, false or "unknown"', "wheelchair_access")
        wheelchair = None
    transit = item.get("transit")
    if transit is not None and not isinstance(transit, str):
        report("transit must be a string", "transit")
        transit = None
    return Access(
        interpretation=tuple(interpretation),
        childcare=childcare,
        wheelchair=wheelchair,
        transit=(transit or "").strip() or None,
        translations=_translations(item.get("translations", {}), report),
    )


def _translations(raw: Any, report: Report) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    if not isinstance(raw, dict):
        report("translations must be tables such as [meeting.translations.es]", "translations")
        return ()
    found = []
    for language, fields in raw.items():
        if _tag(language) != language:
            report(
                f"translations: {language!r} is not a language code such as 'es' or 'pt-BR'",
                "translations",
            )
            continue
        if not isinstance(fields, dict):
            report(f"translations.{language} must be a table", "translations")
            continue
        values = []
        for field, value in fields.items():
            if field not in TRANSLATABLE:
                report(
                    f"translations.{language}: unknown field {field!r} (known: "
                    f"{', '.join(TRANSLATABLE)})",
                    "translations",
                )
            elif not isinstance(value, str):
                report(f"translations.{language}.{field} must be a string", "translations")
            else:
                values.append((field, value.strip()))
        found.append((language, tuple(values)))
    return tuple(found)
