"""Wiring of the ingest stages: `source_video`, `audio`, `playlist_entries`."""
