"""Orchestration: definitions' parts, sensors, schedules, jobs, staleness, executors, the CLI."""
