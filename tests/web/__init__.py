"""Tests of reminders.web."""
