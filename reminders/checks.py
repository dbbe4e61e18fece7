"""`reminders check`: every input validated at once, templates included.

Templates use StrictUndefined, so a misspelled variable is an error here,
found by rendering each meeting's reminder for a sample person with and
without a name, not a blank in 5,000 emails.
"""

from __future__ import annotations

from reminders.compose import TemplateProblem, Templates, message_context
from reminders.errors import DataError, Problem
from reminders.meetings import Series, load_series
from reminders.publish import feed_options
from reminders.settings import Settings
from reminders.subscribers import Subscriber, load_subscribers

__all__ = ["SAMPLE_PEOPLE", "check_all", "check_templates"]

SAMPLE_PEOPLE = (
    Subscriber(email="sample@example.org", name="Sample Person", language="en"),
    Subscriber(email="sample@example.org", name="", language="en"),
)


def check_templates(settings: Settings, series: Series) -> list[Problem]:
    """Render every kind of message for each meeting; return the problems found."""
    templates = Templates(settings.templates)
    options = feed_options(settings)
    problems: dict[str, Problem] = {}
    for meeting in series:
        for offset in settings["reminders.offsets"]:
            for person in SAMPLE_PEOPLE:
                context = message_context(meeting, person, offset, series, options, "https://x/")
                try:
                    templates.render("reminder", context)
                except TemplateProblem as error:
                    problems.update((str(p), p) for p in error.problems)
    return list(problems.values())


def check_all(settings: Settings) -> tuple[Series, int]:
    """Validate meetings, subscribers and templates; raise DataError with every problem."""
    series = load_series(settings.meetings)
    problems: list[Problem] = []
    subscribers: tuple[Subscriber, ...] = ()
    try:
        subscribers = load_subscribers(settings.path("subscribers"), series.cities)
    except DataError as error:
        problems.extend(error.problems)
    problems.extend(check_templates(settings, series))
    if problems:
        raise DataError(problems)
    return series, len(subscribers)
