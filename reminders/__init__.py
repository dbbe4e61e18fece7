"""Calendar feed and reminder emails for a series of public meetings.

Importing the package makes every log record of the process mask addresses
(:mod:`reminders.privacy`): the people on these lists may fear exposure.
"""

from reminders import privacy

__version__ = "0.2.0"

privacy.install()
