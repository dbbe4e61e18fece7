"""The texts themselves: one short message per delivery, in the reader's language.

Pure: a meeting and a language in, the text out, rendered from
``templates/sms/<kind>.txt.j2`` with the same catalogs as the emails. The
text is made carrier-friendly: one line, and typographic marks that have a
GSM-7 equivalent (dashes, curly quotes, special spaces) replaced by it, so an
English reminder costs one segment instead of being sent as UCS-2.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateError

from reminders.errors import Problem
from reminders.i18n.environments import environment
from reminders.i18n.languages import TBD_LOCATION, Language, Locales, choose, translations
from reminders.i18n.phrasing import short_day_phrase, time_range_phrase
from reminders.inputs.meetings import Meeting, Series
from reminders.inputs.subscribers import Subscriber
from reminders.kinds import Kind
from reminders.mail.templates import TemplateProblem

__all__ = ["TEXT_KINDS", "TextBatch", "Texts", "meeting_link", "plain", "text_context"]

# Each template: the meeting kinds' families, then the consent and keyword replies.
TEXT_KINDS = ("reminder", "venue", "change", "cancelled")

_GSM_FRIENDLY = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u200a": " ",
    }
)


def plain(text: str) -> str:
    """One line, with the marks that have a GSM-7 equivalent replaced by it."""
    return " ".join(text.translate(_GSM_FRIENDLY).split())


def meeting_link(base_url: str, meeting: Meeting) -> str:
    """The short link a text carries: the meeting on the landing page, no tracking."""
    return f"{base_url}m/{meeting.id}"


def text_context(
    meeting: Meeting, series: Series, base_url: str, language: str, gettext: Any
) -> dict[str, Any]:
    """What the text templates may use of a meeting."""
    return {
        "city": meeting.city,
        "day": short_day_phrase(meeting.start, language),
        "hours": time_range_phrase(meeting.start, meeting.end, language),
        "zone": meeting.start.strftime("%Z"),
        "place": meeting.venue or gettext(TBD_LOCATION),
        "link": meeting_link(base_url, meeting),
        "series": series.name,
    }


class Texts:
    """The text templates under each folder's ``sms/``, one environment a language."""

    def __init__(self, folders: Sequence[Path], locales: Locales) -> None:
        self.folders = tuple(folder / "sms" for folder in folders)
        self.locales = locales
        self.environments: dict[str, Environment] = {}

    def gettext(self, language: Language) -> Any:
        return translations(self.locales, language).gettext

    def render(self, name: str, context: dict[str, Any], language: Language) -> str:
        """Render ``sms/<name>.txt.j2`` in ``language``, as one carrier-friendly line."""
        if language.tag not in self.environments:
            self.environments[language.tag] = environment(
                self.folders, self.locales, language, autoescape=False
            )
        try:
            template = self.environments[language.tag].get_template(f"{name}.txt.j2")
            return plain(template.render(context))
        except TemplateError as error:
            where = getattr(error, "filename", None) or self.folders[0]
            line = getattr(error, "lineno", None)
            message = f"sms {name} template: {error.message or type(error).__name__}"
            raise TemplateProblem([Problem(path=where, line=line, message=message)]) from None

    def meeting_text(
        self, name: str, meeting: Meeting, series: Series, base_url: str, language: Language
    ) -> str:
        gettext = self.gettext(language)
        context = text_context(meeting, series, base_url, language.tag, gettext)
        return self.render(name, context, language)


class TextBatch:
    """Renders the texts of one run: each (meeting, kind, language) once."""

    def __init__(
        self,
        texts: Texts,
        series: Series,
        base_url: str,
        allow_drafts: Sequence[str],
    ) -> None:
        self.texts, self.series, self.base_url = texts, series, base_url
        self.allow_drafts = tuple(allow_drafts)
        self.made: dict[tuple[str, str, str], str] = {}

    def language(self, person: Subscriber) -> Language:
        """The first usable language of the person's list (English at the end)."""
        return choose(person.languages, self.texts.locales, self.allow_drafts)[0]

    def text(self, meeting: Meeting, kind: Kind, person: Subscriber) -> str:
        language = self.language(person)
        key = (meeting.id, kind.family.template, language.tag)
        if key not in self.made:
            self.made[key] = self.texts.meeting_text(
                kind.family.template, meeting, self.series, self.base_url, language
            )
        return self.made[key]

    def question(self, person: Subscriber) -> str:
        """The consent question: which cities, rates, STOP and HELP."""
        cities = ", ".join(sorted(person.cities)) if person.cities else self.series.name
        return self.texts.render("optin", {"cities": cities}, self.language(person))
