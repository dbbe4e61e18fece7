"""Let ``python -m reminders`` run the command line."""

from reminders.cli import main

main()
