"""The code on screen at a moment of a video, answered from the warehouse the catalog's
views read (issue 13): the video's own `video_segments` and `code_snippets` files, never
the video itself.

Read directly rather than through the views: a view scans every video's file to find one
video's rows (380 ms warm on 100 videos, measured by benchmarks/code_lookup.py), while
the pipeline's layout (`<warehouse>/<table>/<video_id>.parquet`) names the one file.
"""

from __future__ import annotations

import re

import pandas as pd
from upath import UPath

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


def _video_table(warehouse: str, name: str, video_id: str) -> pd.DataFrame | None:
    path = UPath(warehouse) / name / f"{video_id}.parquet"
    if not path.exists():
        return None
    with path.open("rb") as file:
        return pd.read_parquet(file)


def code_at_time(
    warehouse: str, video_id: str, seconds: float, tolerance: float = 0.0
) -> dict[str, object]:
    """`vision.snippets.code_at` over one video's tables in `warehouse`."""
    if not VIDEO_KEY.fullmatch(video_id):
        raise UnknownVideo(f"not a video key: {video_id!r}")
    segments = _video_table(warehouse, "video_segments", video_id)
    snippets = _video_table(warehouse, "code_snippets", video_id)
    if segments is None or snippets is None:
        raise UnknownVideo(f"no code timeline for video {video_id!r} (is it processed?)")
    return {"video_id": video_id, **code_at(segments, snippets, seconds, tolerance)}
