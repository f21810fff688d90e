"""Frames for reading: every distinct picture of a scene, so what appears during it is read.

One keyframe per scene reads only what that one frame shows (issue 11: the second code
slide, inside one scene, was never looked at). Each scene is sampled every `every_s`
seconds within each build step, and a sample is kept when its ink differs from every
frame kept so far for the scene, by the rule that finds slide changes (a gliding pointer
is no difference). The scene's keyframe (its most complete picture, pointer removed) is
always frame 0. The table records which frames were read.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from vid2learn_dagster.storage.files import atomic_path
from vid2learn_dagster.storage.tables import conform, empty_table
from vid2learn_dagster.vision.slide_changes import SlideSettings, changed_ink, ink
from vid2learn_dagster.vision.video_frames import bgr, frames_at, median

READ_EVERY_S = 2.0
# Each sample is the per-pixel median of three frames this far apart: a gliding pointer
# (read as "3" or "[" by OCR) is gone, while a slide or a build stays put far longer.
MEDIAN_SPREAD_S = 0.4


def reading_times(start: float, end: float, builds: list[float], every_s: float) -> list[float]:
    """Sample times inside each build step of a scene: at least one per step, one per
    `every_s` seconds, each in the middle of its share of the step."""
    times = []
    for a, b in pairwise([start, *sorted(builds), end]):
        count = max(1, int((b - a) // every_s))
        times += [a + (b - a) * (i + 0.5) / count for i in range(count)]
    return times


def _ink(image: np.ndarray, settings: SlideSettings) -> np.ndarray:
    """The ink map the slide detector compares, from a BGR image of any size (the same
    conversion for decoded frames and keyframe files, so only content differs)."""
    height = round(image.shape[0] * settings.thumb_width / image.shape[1])
    grey = cv2.cvtColor(cv2.resize(image, (settings.thumb_width, height)), cv2.COLOR_BGR2GRAY)
    return ink(grey, settings.ink_threshold)


def _write(frame: np.ndarray, path: Path) -> None:
    with atomic_path(path) as tmp:  # the temporary name keeps .jpg for cv2's encoder choice
        if not cv2.imwrite(str(tmp), frame):
            raise OSError(f"could not write {path}")


def distinct_frames(
    video_path: Path | str,
    keyframes: pd.DataFrame,
    out_dir: Path | str,
    video_id: str,
    every_s: float = READ_EVERY_S,
) -> pd.DataFrame:
    """The `reading_frames` table: per scene its keyframe (frame 0), then every sampled
    frame that shows something none of the scene's kept frames shows; images beside the
    keyframes (`scene-0001-f01.jpg`...)."""
    if keyframes.empty:
        return empty_table("reading_frames")
    settings, out_dir = SlideSettings(), Path(out_dir)
    scenes = keyframes.sort_values("start").to_dict("records")
    plans = [reading_times(s["start"], s["end"], list(s["builds"]), every_s) for s in scenes]
    spread = [
        min(max(t + d, s["start"]), s["end"] - 1e-3)
        for s, plan in zip(scenes, plans, strict=True)
        for t in plan
        for d in (-MEDIAN_SPREAD_S, 0.0, MEDIAN_SPREAD_S)
    ]
    decoded = frames_at(Path(video_path), spread)
    rows = []
    for scene, plan in zip(scenes, plans, strict=True):
        kept = [_ink(cv2.imread(scene["image_path"]), settings)]
        rows.append((scene["scene"], 0, scene["time"], str(scene["image_path"])))
        for _ in plan:
            triple = [next(decoded) for _ in range(3)]
            middle = triple[1]
            mask = _ink(bgr(middle), settings)  # a pointer-sized difference is no difference
            if all(changed_ink(seen, mask, settings).any() for seen in kept):
                kept.append(mask)
                path = out_dir / f"scene-{scene['scene']:04d}-f{len(kept) - 1:02d}.jpg"
                _write(median(triple), path)  # the image to read: without the pointer
                rows.append((scene["scene"], len(kept) - 1, float(middle.time or 0), str(path)))
    table = pd.DataFrame(rows, columns=["scene", "frame", "time", "image_path"])
    table.insert(0, "video_id", video_id)
    return conform(table, "reading_frames")
