"""Building the public folder: the feeds, one .ics per meeting, the landing page.

:func:`site_files` is pure (the series, revisions and templates in, file
contents out); :func:`reminders.publish.folder.publish` writes only the files
whose bytes changed and removes those no longer built. :func:`build`
runs the two around the revision bookkeeping in the state database, under
a lease in that database, so that of several daemons sharing it only one
rebuilds (and bumps revisions) at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from jinja2 import Environment, TemplateError

from reminders.errors import ReminderError
from reminders.i18n.languages import Locales, usable
from reminders.inputs.meetings import Meeting, Series, slug
from reminders.publish.calendars import Made, calendar_bytes, calendar_made
from reminders.publish.feed import FeedOptions, fingerprint, shown
from reminders.publish.folder import Left, publish
from reminders.publish.links import city_feed_url, feed_url, meeting_ics_url
from reminders.publish.pages import landing_page, language_switch, web_environment
from reminders.publish.pieces import Held, Pieces, pieces_file
from reminders.revisions import Revision, load_revisions, revise, save_revisions
from reminders.store.attendance import tallies
from reminders.store.base import Database, holder, stamp
from reminders.store.editions import Copy

__all__ = [
    "BuildBusy",
    "BuildResult",
    "build",
    "current_revisions",
    "meeting_calendar",
    "page_environments",
    "site_files",
]

# Far longer than a build takes; a builder that dies frees the folder after this.
BUILD_LEASE = timedelta(minutes=5)


class BuildBusy(ReminderError):
    """Another process is rebuilding the public folder right now."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    """What a build did."""

    folder: Path
    written: tuple[str, ...]
    removed: tuple[str, ...]
    revised: tuple[str, ...]
    files: int
    revisions: Mapping[str, Revision]
    serialized: int  # events serialized (the others were kept from earlier builds)


def site_files(
    series: Series,
    revisions: Mapping[str, Revision],
    options: FeedOptions,
    envs: Mapping[str, Environment],
    now: datetime,
    crowd: Mapping[str, int] | None = None,
    pieces: Pieces | None = None,
) -> dict[str, bytes]:
    """Every file of the public folder, by path relative to it.

    ``envs`` maps each usable language (English first) to its page environment:
    each gets a landing page (``index.html``, ``index.<lang>.html``) and a feed
    (``meetings.ics``, ``meetings.<lang>.ics``) with the same UIDs. ``crowd``:
    see :func:`landing_page` (the feeds never carry counts). Each event is
    serialized once for all the files that hold it, and not at all if
    ``pieces`` kept it from an earlier build.
    """
    pieces = pieces or Pieces()
    feed = partial(_feed, pieces, series, revisions, options)
    files = {
        "meetings.ics": feed(series.meetings, name=series.name, source=feed_url(options.base_url))
    }
    pieces.files.begin((options, series.heading()))  # what else a meeting's own file is made of
    for meeting in series:
        files[f"meetings/{meeting.id}.ics"] = pieces.files.get(
            meeting,
            revisions[meeting.id],
            meeting_calendar,
            series,
            meeting,
            revisions,
            options,
            pieces,
        )
    cities: dict[str, list[Meeting]] = {}
    for meeting in series:
        cities.setdefault(meeting.city, []).append(meeting)
    for city, held in cities.items():
        files[f"cities/{slug(city)}.ics"] = feed(
            held,
            name=f"{series.name} – {city}",
            source=city_feed_url(options.base_url, slug(city)),
        )
    switch = language_switch(
        list(envs), lambda tag: "index.html" if tag == "en" else f"index.{tag}.html"
    )
    try:
        for tag, env in envs.items():
            page = "index.html" if tag == "en" else f"index.{tag}.html"
            html = landing_page(
                env, series, options, now, switch=switch, crowd=crowd, pieces=pieces
            )
            files[page] = html.encode("utf-8")
            if tag != "en":
                files[f"meetings.{tag}.ics"] = feed(
                    series.meetings,
                    name=series.name,
                    source=f"{options.base_url}meetings.{tag}.ics",
                    language=tag,
                    gettext=env.globals["translate"],  # type: ignore[arg-type]
                )
        files["style.css"] = envs["en"].get_template("style.css").render().encode("utf-8")
    except TemplateError as error:
        raise ReminderError(f"templates/web: {error}") from None
    return files


def _feed(
    pieces: Pieces,
    series: Series,
    revisions: Mapping[str, Revision],
    options: FeedOptions,
    held: Sequence[Meeting],
    *,
    name: str,
    source: str,
    language: str = "en",
    gettext: Callable[[str], str] = str,
) -> bytes:
    """A feed of the ``held`` meetings, made again only if anything it is made of changed.

    Its meetings and their revisions are compared by identity first, so a feed an
    edit left alone (another city's, or every feed when only counts changed)
    costs a comparison of its items; one it changed is made from the one before
    (see :mod:`reminders.publish.calendars`).
    """
    chosen = tuple(held)
    revised = tuple(revisions[m.id] for m in chosen)
    basis = (chosen, revised, options, series.heading(), name, language, gettext)

    def make(before: Made | None) -> Made:
        return calendar_made(
            series,
            chosen,
            revised,
            options,
            name=name,
            source=source,
            language=language,
            gettext=gettext,
            pieces=pieces,
            before=before,
        )

    return pieces.feeds.remake(source, basis, make).data


def page_environments(
    templates: Sequence[Path], locales: Locales, allow_drafts: Iterable[str]
) -> dict[str, Environment]:
    """A page environment per usable language, English first."""
    return {
        language.tag: web_environment(templates, locales, language)
        for language in usable(locales, allow_drafts)
    }


def meeting_calendar(
    series: Series,
    meeting: Meeting,
    revisions: Mapping[str, Revision],
    options: FeedOptions,
    pieces: Pieces | None = None,
) -> bytes:
    """One meeting's own .ics: the download, and the email attachment."""
    source = meeting_ics_url(options.base_url, meeting)
    return calendar_bytes(
        series, [meeting], revisions, options, name=meeting.title, source=source, pieces=pieces
    )


def current_revisions(
    db: Database,
    series: Series,
    options: FeedOptions,
    now: datetime,
    save: bool = True,
    memo: Held[str] | None = None,
    stored: Copy[Revision] | None = None,
) -> tuple[dict[str, Revision], list[str]]:
    """Bring the stored revisions up to date with the series; return them and the revised ids.

    With ``save=False`` (for reports) nothing is stored. ``memo`` remembers
    the meetings' fingerprints from one build to the next, and ``stored`` the
    stored revisions while no other process writes them.
    """
    previous = load_revisions(db, stored)
    if memo is None:
        prints = {m.id: _fingerprint(m, options) for m in series}
    else:
        memo.begin(options)
        prints = {m.id: memo.get(m, None, _fingerprint, m, options) for m in series}
    revisions = revise(prints, previous, now)
    # revise() gives back the very revision it was given when the meeting did not change.
    revised = [key for key, revision in revisions.items() if previous.get(key) is not revision]
    if save:
        save_revisions(db, (revisions[key] for key in revised), stored)
    return revisions, revised


def _fingerprint(meeting: Meeting, options: FeedOptions) -> str:
    return fingerprint(shown(meeting, options))


def _real_time() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _building(db: Database, clock: Callable[[], datetime]) -> Iterator[None]:
    """Hold the state database's "publish" lease for the block, or raise :class:`BuildBusy`."""
    me, at = holder(), clock()
    took = db.execute(
        "INSERT INTO lease (name, holder, until) VALUES ('publish', ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until"
        " WHERE lease.until <= ? OR lease.holder = excluded.holder",
        (me, stamp(at + BUILD_LEASE), stamp(at)),
    ).rowcount
    if not took:
        raise BuildBusy("another process is rebuilding the public folder; try again shortly")
    try:
        yield
    finally:
        db.execute("DELETE FROM lease WHERE name = 'publish' AND holder = ?", (me,))


def build(
    db: Database,
    series: Series,
    *,
    options: FeedOptions,
    envs: Mapping[str, Environment],
    folder: Path,
    now: datetime,
    clock: Callable[[], datetime] = _real_time,
    public_counts: bool = False,
    pieces: Pieces | None = None,
    left: Left | None = None,
    stored: Copy[Revision] | None = None,
) -> BuildResult:
    """Rebuild the public folder from the series, bumping changed events.

    ``envs`` are the page environments of the usable languages (see
    :func:`page_environments`). The lease that keeps builders apart runs on
    ``clock`` (the real time), not on ``now``, which may be a moment replayed
    from the past. With ``public_counts``, the landing pages say roughly how
    many people plan to come. ``pieces`` are the events kept from earlier
    builds (the daemon's, in memory), whose file their owner brings up to date
    when it is idle (:meth:`Pieces.flush`); without them, those kept in the file
    beside the folder, which the build updates. ``left``: what the
    build before left in the folder (see :class:`~reminders.publish.folder.Left`).
    ``stored``: the stored revisions as this process keeps them (see
    :mod:`reminders.store.editions`).
    """
    kept, owned = pieces_file(folder), pieces is not None
    if pieces is None:
        pieces = Pieces.load(kept)
    crowd = {key: tally.expected for key, tally in tallies(db).items()} if public_counts else None
    with _building(db, clock):
        # Revisions are stored before files are written: a crash in between rewrites the
        # same bytes next time, never a lower SEQUENCE.
        revisions, revised = current_revisions(
            db, series, options, now, memo=pieces.prints, stored=stored
        )
        files = site_files(series, revisions, options, envs, now, crowd, pieces)
        written, removed = publish(files, folder, left)
        serialized = pieces.made
        pieces.save(kept, later=owned)
    return BuildResult(
        folder=folder,
        written=tuple(written),
        removed=tuple(removed),
        revised=tuple(revised),
        files=len(files),
        revisions=revisions,
        serialized=serialized,
    )
