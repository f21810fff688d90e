"""The code on screen at a moment of a video, answered from the catalog (issue 13): two
small indexed reads of the `video_segments` and `code_snippets` views, never the video."""

from __future__ import annotations

import re
from pathlib import Path

from vid2learn_dagster.storage.catalog import query
from vid2learn_dagster.vision.snippets import code_at

# Partition keys are made only of these (vid2learn_dagster.ingest.urls.video_key), so a
# request that is not one cannot name a file.
VIDEO_KEY = re.compile(r"[A-Za-z0-9_-]{1,100}")
_CLOCK = re.compile(r"(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d+)?)|(\d+(?:\.\d+)?)")


class UnknownVideo(LookupError):
    """No video with that key has a code timeline in the catalog."""


def parse_timestamp(text: str) -> float:
    """Seconds from `125`, `125.5`, `2:05` or `1:02:05` (ValueError otherwise)."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a timestamp: {text!r} (use seconds, m:ss or h:mm:ss)")
    hours, minutes, seconds, plain = match.groups()
    if plain is not None:
        return float(plain)
    if float(seconds) >= 60:
        raise ValueError(f"not a timestamp: {text!r} (seconds past 59)")
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


def code_at_time(
    catalog: Path, video_id: str, seconds: float, tolerance: float = 0.0
) -> dict[str, object]:
    """`vision.snippets.code_at` over the catalog's tables of one video."""
    if not VIDEO_KEY.fullmatch(video_id):
        raise UnknownVideo(f"not a video key: {video_id!r}")
    segments = query(catalog, "SELECT * FROM video_segments WHERE video_id = ?", [video_id])
    if segments.empty:
        raise UnknownVideo(f"no code timeline for video {video_id!r} (is it processed?)")
    snippets = query(catalog, "SELECT * FROM code_snippets WHERE video_id = ?", [video_id])
    return {"video_id": video_id, **code_at(segments, snippets, seconds, tolerance)}
