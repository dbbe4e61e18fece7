"""Tests of reminders.publish."""
