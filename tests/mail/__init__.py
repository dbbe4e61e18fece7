"""Tests of reminders.mail."""
