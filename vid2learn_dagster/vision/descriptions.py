"""What a keyframe shows (`VisualDescription`), however it was read, and the
`visual_descriptions` table of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from vid2learn_dagster.storage.tables import SCHEMAS, conform
from vid2learn_dagster.vision.code_detection import looks_like_code


@dataclass(frozen=True)
class VisualDescription:
    """One keyframe described (a row of the `visual_descriptions` table)."""

    description: str
    on_screen_text: str
    has_code: bool
    code: str
    backend: str
    # The slide's title as the reader saw it (the line set larger than the rest, issue 12),
    # "" when none stands out; the notebook titles its sections with it.
    title: str = ""


MAX_TITLE_WORDS = 10


def screen_title(read_title: str, on_screen_text: str, code: str) -> str:
    """A screen's title: the one the reader saw set larger, else its first line when that
    reads like a title (short prose, not a bullet, not code). A slide whose title is no
    larger than its other text (a formula set large below it) still has one."""
    if read_title:
        return read_title
    first = on_screen_text.strip().splitlines()[0].strip() if on_screen_text.strip() else ""
    words = first.split()
    if not words or len(words) > MAX_TITLE_WORDS or first.startswith(("-", "*", "•")):
        return ""
    return "" if looks_like_code(first) or first in code else first


def _within(code: str, other: str) -> bool:
    """Most of `code`'s lines are in `other` (OCR may misread a line of either): an earlier
    build of the same listing, or the same listing read twice."""
    from rapidfuzz.fuzz import ratio

    lines = [" ".join(line.split()) for line in code.splitlines() if line.strip()]
    others = [" ".join(line.split()) for line in other.splitlines() if line.strip()]
    found = sum(any(ratio(line, o) >= 80 for o in others) for line in lines)
    return len(others) >= len(lines) and found >= 0.75 * len(lines)


def merge_readings(readings: Sequence[VisualDescription]) -> VisualDescription:
    """One scene's description from the readings of its frames, the keyframe's first: its
    text plus the lines only other frames showed, and every code listing once (an earlier
    build inside a later one is the later one)."""
    base = readings[0]
    lines = base.on_screen_text.splitlines()
    for reading in readings[1:]:
        lines += [line for line in reading.on_screen_text.splitlines() if line not in lines]
    codes = list(dict.fromkeys(r.code for r in readings if r.code.strip()))

    def superseded(index: int) -> bool:  # by a longer listing, or by an as long later one
        code = codes[index]
        return any(
            _within(code, other) and (len(other), j) > (len(code), index)
            for j, other in enumerate(codes)
            if j != index
        )

    kept = [code for index, code in enumerate(codes) if not superseded(index)]
    return VisualDescription(
        description=base.description,
        on_screen_text="\n".join(lines),
        has_code=bool(kept),
        code="\n\n".join(kept),
        backend=base.backend,
        title=next((r.title for r in readings if r.title), ""),
    )


def description_table(
    video_id: str, keyframes: pd.DataFrame, descriptions: Sequence[VisualDescription]
) -> pd.DataFrame:
    """The `visual_descriptions` table: one row per keyframe, in the keyframes' order."""
    if len(keyframes) != len(descriptions):
        raise ValueError(f"{len(keyframes)} keyframes but {len(descriptions)} descriptions")
    rows = [
        {
            "video_id": video_id,
            "scene": int(frame.scene),
            "time": float(frame.time),
            "image_path": str(frame.image_path),
            **asdict(description),
        }
        for frame, description in zip(keyframes.itertuples(index=False), descriptions, strict=True)
    ]
    columns = ["video_id", "scene", "time", "image_path", *VisualDescription.__dataclass_fields__]
    return conform(pd.DataFrame(rows, columns=columns), "visual_descriptions")


def frame_table(
    video_id: str, frames: pd.DataFrame, readings: Sequence[VisualDescription]
) -> pd.DataFrame:
    """The `frame_readings` table: what each reading frame showed, before the scene's
    readings are merged; code on screen at each moment is read from here (issue 13)."""
    rows = [
        {
            "video_id": video_id,
            "scene": int(frame.scene),
            "frame": int(frame.frame),
            "time": float(frame.time),
            "on_screen_text": reading.on_screen_text,
            "has_code": reading.has_code,
            "code": reading.code,
            "title": reading.title,
        }
        for frame, reading in zip(frames.itertuples(index=False), readings, strict=True)
    ]
    return conform(
        pd.DataFrame(rows, columns=list(SCHEMAS["frame_readings"].names)), "frame_readings"
    )


def scene_descriptions(
    video_id: str, frames: pd.DataFrame, readings: Sequence[VisualDescription]
) -> pd.DataFrame:
    """The `visual_descriptions` table from the readings of `frames` (a `reading_frames`
    table, in its order): one row per scene at its keyframe, its frames' readings merged."""
    scenes = frames["scene"].tolist()
    keyframes = frames[frames["frame"] == 0]
    merged = [
        merge_readings([r for r, s in zip(readings, scenes, strict=True) if s == scene])
        for scene in keyframes["scene"]
    ]
    return description_table(video_id, keyframes, merged)
