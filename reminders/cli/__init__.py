"""The command line: ``commands`` parses and prints, ``work`` does one unit of work each.

A unit of work opens the state store once and hands it down; nothing below
the command line, the daemon and the web application opens it. ``services``
holds the long-running commands and ``importing`` the announcement reader's.
"""

from __future__ import annotations

from reminders.cli import importing, services
from reminders.cli.commands import cli, main

__all__ = ["cli", "importing", "main", "services"]
