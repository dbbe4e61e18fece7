"""The one error hierarchy: every failure a user can cause, each with its exit code.

Errors are data: a :class:`Problem` names a place in a file and what is wrong
there, and :class:`DataError` carries all the problems of one input at once.
The command line maps these exceptions to messages and exit codes; nothing
else catches them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ConfigError", "DataError", "Problem", "ReminderError", "UsageError"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong with an input, at a line of a file."""

    path: Path | str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"


class ReminderError(Exception):
    """Base of every error shown to the user without a traceback."""

    exit_code = 1


class UsageError(ReminderError):
    """A command was asked for something it cannot do (an unknown meeting id, say)."""


class DataError(ReminderError):
    """An input file is invalid; carries every problem found in it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (str(p.path), p.line or 0)))
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(DataError):
    """The operator settings file (``reminders.toml``) is invalid."""
