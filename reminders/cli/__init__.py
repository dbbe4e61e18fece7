"""The command line: ``commands`` parses and prints, ``work`` does one unit of work each.

A unit of work opens the state store once and hands it down; nothing below
the command line, the daemon and the web application opens it. ``services``
holds the long-running commands, ``importing`` the announcement reader's and
``starting`` the one that starts a new series, ``returns`` those for bounces,
``attendance`` the one that counts answers, ``texting`` the one that takes a reply.
"""

from __future__ import annotations

from reminders.cli import attendance, importing, returns, services, starting, texting
from reminders.cli.commands import cli, main

__all__ = ["attendance", "cli", "importing", "main", "returns", "services", "starting", "texting"]
