"""Tests of reminders.store."""
