"""Plain-text tables of results, for the terminal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reminders.inputs.meetings import Meeting

__all__ = ["meeting_rows", "render_table"]


def render_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Align columns of text under a header."""
    rows = [list(header), *map(list, rows)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def meeting_rows(meetings: Iterable[Meeting]) -> list[tuple[str, str, str, str, str]]:
    """One row per meeting: date, local time range with zone, city, venue or TBD, status."""
    return [
        (
            f"{m.start:%a %Y-%m-%d}",
            f"{m.start:%H:%M}-{m.end:%H:%M} {m.start:%Z}",
            m.city,
            m.location or "TBD",
            m.status.value,
        )
        for m in meetings
    ]
