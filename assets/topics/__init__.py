"""Wiring of `topic_segments`."""
