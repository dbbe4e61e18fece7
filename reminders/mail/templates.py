"""The email templates: each family's subject, plain text and HTML, in one language.

Plain-text templates are rendered unescaped, HTML ones autoescaped, both
strict; each language gets its own pair of environments with its catalog
(see :mod:`reminders.i18n.environments`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateError

from reminders.errors import DataError, Problem
from reminders.i18n.environments import environment
from reminders.i18n.languages import ENGLISH, Language, Locales, translations

__all__ = ["Letter", "TemplateProblem", "Templates"]


class TemplateProblem(DataError):
    """An email template is missing or fails to render."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Letter:
    """A rendered message: subject, plain text and HTML, in one language."""

    subject: str
    text: str
    html: str
    language: str = "en"


class Templates:
    """The email templates in ``folders``, searched in order; two environments a language."""

    def __init__(self, folders: Sequence[Path], locales: Locales) -> None:
        self.folders = tuple(folders)
        self.locales = locales
        self.environments: dict[str, tuple[Environment, Environment]] = {}

    def _environments(self, language: Language) -> tuple[Environment, Environment]:
        if language.tag not in self.environments:
            self.environments[language.tag] = (
                environment(self.folders, self.locales, language, autoescape=False, lstrip=False),
                environment(self.folders, self.locales, language, autoescape=True),
            )
        return self.environments[language.tag]

    def render(self, kind: str, context: Mapping[str, Any], language: Language = ENGLISH) -> Letter:
        """Render one kind of message (``reminder``, ...) in ``language``."""
        text, html = self._environments(language)
        context = {**context, "language": language}
        try:
            return Letter(
                subject=text.get_template(f"{kind}.subject.j2").render(context),
                text=text.get_template(f"{kind}.txt.j2").render(context),
                html=html.get_template(f"{kind}.html.j2").render(context),
                language=language.tag,
            )
        except TemplateError as error:
            where = getattr(error, "filename", None) or self.folders[0]
            line = getattr(error, "lineno", None)
            message = f"{kind} template: {error.message or type(error).__name__}"
            raise TemplateProblem([Problem(path=where, line=line, message=message)]) from None

    def gettext(self, language: Language) -> Callable[[str], str]:
        """The translate function of ``language``, for strings made in Python."""
        return translations(self.locales, language).gettext
