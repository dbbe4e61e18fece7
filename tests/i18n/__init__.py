"""Tests of reminders.i18n."""
