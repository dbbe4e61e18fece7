"""Tests of reminders.inputs."""
