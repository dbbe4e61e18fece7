"""What texts cost before they go: segments per message, per meeting, kind and language.

``reminders check`` fails a template that renders longer than ``[sms]
max_segments`` for any meeting and usable language; ``reminders plan`` and
``preview --channel sms`` show the count, so organizers see the cost first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reminders.errors import Problem
from reminders.i18n.languages import Language
from reminders.inputs.meetings import Meeting, Series
from reminders.mail.templates import TemplateProblem
from reminders.sms.messages import TEXT_KINDS, Texts
from reminders.sms.segments import Segments, count_segments

__all__ = ["Cost", "costs", "plan_lines", "said", "too_long"]


@dataclass(frozen=True, slots=True)
class Cost:
    """One text as it would go: where from, in which language, and its segments."""

    meeting_id: str
    template: str
    language: str
    text: str
    segments: Segments


def costs(
    texts: Texts,
    series: Series,
    base_url: str,
    languages: Sequence[Language],
    items: Iterable[tuple[Meeting, str]],
) -> list[Cost]:
    """The cost of each (meeting, template) in each language."""
    found = []
    for meeting, template in items:
        for language in languages:
            text = texts.meeting_text(template, meeting, series, base_url, language)
            found.append(Cost(meeting.id, template, language.tag, text, count_segments(text)))
    return found


def too_long(
    texts: Texts, series: Series, base_url: str, languages: Sequence[Language], most: int
) -> list[Problem]:
    """Every template and language whose text runs over ``most`` segments for some meeting."""
    problems: dict[tuple[str, str], Problem] = {}
    items = [(meeting, template) for meeting in series for template in TEXT_KINDS]
    try:
        found = costs(texts, series, base_url, languages, items)
        for language in languages:
            question = texts.render("optin", {"cities": ", ".join(series.cities)}, language)
            found.append(Cost("", "optin", language.tag, question, count_segments(question)))
    except TemplateProblem as error:
        return list(error.problems)
    for cost in found:
        key = (cost.template, cost.language)
        if cost.segments.count > most and key not in problems:
            where = f" for {cost.meeting_id}" if cost.meeting_id else ""
            problems[key] = Problem(
                path=Path("sms") / f"{cost.template}.txt.j2",
                line=None,
                message=f"in {cost.language}{where}: {cost.segments.count} segments "
                f"({cost.segments.encoding}, {cost.segments.units} units), more than "
                f"[sms] max_segments = {most}",
            )
    return list(problems.values())


def said(cost: Cost) -> str:
    """A text with its cost, as `preview --channel sms` prints it."""
    s = cost.segments
    plural = "" if s.count == 1 else "s"
    return f"{cost.text}\n\n[{s.count} segment{plural}, {s.encoding}, {s.units} units]\n"


def plan_lines(
    texts: Texts,
    series: Series,
    base_url: str,
    languages: Sequence[Language],
    items: Iterable[tuple[Meeting, str]],
) -> list[tuple[str, ...]]:
    """Table rows for `reminders plan`: each planned text's segments in each language."""
    unique = list(dict.fromkeys((m.id, t) for m, t in items))
    meetings = {m.id: m for m in series}
    found = costs(texts, series, base_url, languages, [(meetings[i], t) for i, t in unique])
    return [
        (c.meeting_id, c.template, c.language, str(c.segments.count), c.segments.encoding)
        for c in found
    ]
