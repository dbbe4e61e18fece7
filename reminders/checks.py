"""`reminders check`: every input validated at once, templates included.

Templates use StrictUndefined, so a misspelled variable is an error here,
found by rendering each meeting's reminder for a sample person with and
without a name, not a blank in 5,000 emails. The caller checks the state
store too (a PostgreSQL server is connected to and migrated), so a wrong URL
or password shows here as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from reminders.errors import DataError, Problem, ReminderError
from reminders.i18n.languages import catalog_state, usable
from reminders.inputs.meetings import Series, Snapshot
from reminders.inputs.meetings_file import load_series
from reminders.inputs.subscribers import Subscriber, load_subscribers
from reminders.mail.context import PersonalLinks, message_context
from reminders.mail.signing import load_signer
from reminders.mail.templates import TemplateProblem, Templates
from reminders.settings import Settings
from reminders.sms.costs import too_long
from reminders.sms.messages import Texts

__all__ = ["SAMPLE_PEOPLE", "check_all", "check_templates", "language_warnings"]

SAMPLE_LINKS = PersonalLinks(
    unsubscribe="https://example.org/u",
    preferences="https://example.org/p",
    mailto="mailto:x@example.org",
    rsvp="sample-token",
)
# Each template family, and whether its context carries a previous state.
SAMPLE_KINDS = (("reminder", False), ("venue", False), ("change", True), ("cancelled", True))
SAMPLE_PEOPLE = (
    Subscriber(email="sample@example.org", name="Sample Person", language="en"),
    Subscriber(email="sample@example.org", name="", language="en"),
)


def check_templates(settings: Settings, series: Series) -> list[Problem]:
    """Render every kind of message for each meeting; return the problems found."""
    templates = Templates(settings.email_templates, settings.locale)
    options = settings.feed_options
    problems: dict[str, Problem] = {}
    for meeting in series:
        moved = replace(
            meeting,
            start=meeting.start - timedelta(hours=1),
            venue="Elsewhere",
            room=None,
            address=None,
        )
        for family, previous in SAMPLE_KINDS:
            before = Snapshot.of(moved) if previous else None
            for person in SAMPLE_PEOPLE:
                now = meeting.start - timedelta(days=3)
                context = message_context(
                    meeting, person, series, options, SAMPLE_LINKS, now, previous=before
                )
                try:
                    templates.render(family, context)
                except TemplateProblem as error:
                    problems.update((str(p), p) for p in error.problems)
    return list(problems.values())


def check_all(settings: Settings, store: Callable[[], Problem | None]) -> tuple[Series, int]:
    """Validate meetings, subscribers, templates and the store; raise DataError with every problem.

    ``store`` is the caller's check of the state store (it opens it): a
    problem, or None.
    """
    series = load_series(settings.meetings)
    problems: list[Problem] = []
    subscribers: tuple[Subscriber, ...] = ()
    try:
        subscribers = load_subscribers(settings.subscribers, series.cities, settings.sms.region)
    except DataError as error:
        problems.extend(error.problems)
    problems.extend(check_templates(settings, series))
    if settings.sms.enabled:
        languages = usable(settings.locale, settings.allow_drafts)
        texts = Texts(settings.templates, settings.locale)
        most = settings.sms.max_segments
        problems.extend(too_long(texts, series, settings.base_url, languages, most))
    if (problem := store()) is not None:
        problems.append(problem)
    try:
        load_signer(settings.mail.dkim_selector, settings.mail.dkim_domain)
    except ReminderError as error:
        problems.append(Problem(path="[mail] dkim_selector", line=None, message=str(error)))
    if problems:
        raise DataError(problems)
    return series, len(subscribers)


def language_warnings(settings: Settings) -> list[str]:
    """Drafts allowed in the settings that have no catalog: they would be sent in English."""
    return [
        f"warning: [languages] allow_drafts names {tag!r}, which has no catalog in "
        f"{', '.join(str(folder) for folder in settings.locale)}: its readers get English"
        for tag in settings.allow_drafts
        if catalog_state(settings.locale, tag) == "missing"
    ]
