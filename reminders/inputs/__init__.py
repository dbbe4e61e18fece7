"""What the tool reads: the meetings file, subscribers, and announcements.

Every reader is pure (text in, frozen values or problems with their lines
out) except the thin ``load_*`` functions that read a file.
"""
