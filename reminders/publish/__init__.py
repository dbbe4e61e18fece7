"""What the tool publishes: the iCalendar feeds, their time zones, links and pages.

``feed`` and ``timezones`` turn meetings into iCalendar bytes, ``links`` and
``pages`` make the URLs and landing pages, and ``site`` writes the public
folder under the builder's lease.
"""
