"""Jinja2 environments with a language's catalog installed: one recipe for mail and pages.

Undefined names are errors (``StrictUndefined``), so a typo in a template
fails ``reminders check`` or the build instead of sending a blank; the
i18n extension is installed new-style (``_("Hello %(name)s,", name=x)``),
and ``translate`` is the same catalog for strings made in Python;
``catalog_digest`` names that catalog's contents (for keys of kept pages).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from reminders.i18n.languages import Language, Locales, catalog_digest, translations

__all__ = ["environment"]


def environment(
    folders: Sequence[Path],
    locales: Locales,
    language: Language,
    *,
    autoescape: bool,
    lstrip: bool = True,
) -> Environment:
    """An environment for the templates in ``folders`` (the first that has a file wins)."""
    env = Environment(
        loader=FileSystemLoader(list(folders)),
        autoescape=autoescape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=lstrip,
        extensions=["jinja2.ext.i18n"],
    )
    gettext = translations(locales, language)
    env.install_gettext_translations(gettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["language"] = language
    env.globals["translate"] = gettext.gettext
    env.globals["catalog_digest"] = catalog_digest(locales, language)
    return env
