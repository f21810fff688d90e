"""Wiring of the speech stages: `speaker_turns`, `transcript`."""
