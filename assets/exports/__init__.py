"""Wiring of the export files."""
