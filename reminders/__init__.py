"""Calendar feed and reminder emails for a series of public meetings."""

__version__ = "0.1.0"
