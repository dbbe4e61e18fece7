"""The templates and catalogs shipped inside the package, used unless a folder overrides them.

A folder named in the settings is searched first, file by file, so an
organizer can override one template (say ``email/reminder.html.j2``) or one
language's catalog and keep the rest as shipped.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["LOCALE", "TEMPLATES", "search_path"]

_HERE = Path(__file__).resolve().parent
TEMPLATES = _HERE / "templates"
LOCALE = _HERE / "locale"


def search_path(chosen: Path | None, bundled: Path) -> tuple[Path, ...]:
    """Where to look for a file: the chosen folder first (if any), then the bundled one."""
    return (chosen, bundled) if chosen is not None and chosen != bundled else (bundled,)
