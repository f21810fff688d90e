"""Slide changes in lectures and screencasts: a change of text on an unchanged layout.

PySceneDetect's detectors score how much the whole picture changes, which suits camera
footage; a lecture changes a title or a code listing on the same template, so the change
of picture is small (issue 11: 2 of 4 changes found on slides of one layout, none on a
variable-frame-rate screen recording). Here each sampled frame is reduced to its *ink*:
the pixels that stand out from the frame's own background, on a small grey thumbnail.
Two frames differ when the ink differs in a region larger than a mouse pointer, so a
gliding pointer or a small animation is not a change while one replaced word is.

- **Time comes from presentation timestamps** (PyAV), so variable-frame-rate recordings,
  where a screen recorder writes a frame only when the screen changes, work as well as
  constant-rate exports.
- **Transitions settle**: pictures shown for less than `settle_s` (fades, wipes) are
  part of the change into the next stable picture, which is when the change is dated.
- **Incremental builds are sub-steps of one slide**: when the next stable picture only
  adds ink (a bullet or a code line revealed), it is a build of the same slide, recorded
  with its time; when ink disappears, a new slide begins.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vid2learn_dagster.vision.video_frames import sampled_frames, video_duration


@dataclass(frozen=True)
class SlideSettings:
    """How frames are sampled and compared; defaults measured on the sample lecture and
    the generated variants (`vid2learn_dagster.sample.variants`)."""

    # A frame at most this often (every frame of a variable-frame-rate recording whose
    # frames are further apart); changes are dated to within this.
    sample_every_s: float = 0.25
    thumb_width: int = 320
    # Grey-level distance from the frame's background above which a pixel is ink.
    ink_threshold: int = 48
    # A changed region smaller than this (thumbnail pixels of its bounding box) is a
    # pointer or an animation: a 24x36 px pointer at 1280x720 is about 6x9 here.
    min_region: int = 160
    # ... and it needs this many changed ink pixels (a replaced short word has ~60).
    min_changed: int = 40
    # Pictures shown for less than this are transitions into the next one.
    settle_s: float = 0.5
    # A later picture that removes at most this share of the ink it adds is a build.
    build_removal: float = 0.1


@dataclass(frozen=True)
class Slide:
    """One slide: shown from `start` to `end` (exclusive, the next slide's start), built
    up at `builds` (times after `start` when ink was added), most complete after the last."""

    start: float
    end: float
    builds: tuple[float, ...] = ()


@dataclass
class _Picture:
    """A run of samples without a change between consecutive ones."""

    start: float
    first: np.ndarray
    last: np.ndarray
    last_time: float
    end: float = 0.0
    steps: list[float] = field(default_factory=list)


def ink(thumb: np.ndarray, threshold: int) -> np.ndarray:
    """Pixels that stand out from the frame's most common grey (its background)."""
    background = np.bincount(thumb.ravel() // 4, minlength=64).argmax() * 4 + 2
    return np.abs(thumb.astype(np.int16) - background) > threshold


def changed_ink(a: np.ndarray, b: np.ndarray, settings: SlideSettings) -> np.ndarray:
    """The ink that differs between two ink maps, in regions too large to be a pointer."""
    import cv2

    diff = a ^ b
    if diff.sum() < settings.min_changed:
        return np.zeros_like(diff)
    grown = cv2.dilate(diff.astype(np.uint8), np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    keep = np.zeros(count, dtype=bool)
    for label in range(1, count):
        width, height = stats[label, cv2.CC_STAT_WIDTH], stats[label, cv2.CC_STAT_HEIGHT]
        keep[label] = width * height >= settings.min_region
    kept = diff & keep[labels]
    return kept if kept.sum() >= settings.min_changed else np.zeros_like(diff)


def _pictures(
    frames: Iterator[tuple[float, np.ndarray]], settings: SlideSettings, duration: float
) -> list[_Picture]:
    """Runs of samples with no change between consecutive ones (a pointer drifts freely)."""
    pictures: list[_Picture] = []
    for time, thumb in frames:
        mask = ink(thumb, settings.ink_threshold)
        if pictures and not changed_ink(pictures[-1].last, mask, settings).any():
            pictures[-1].last, pictures[-1].last_time = mask, time
            continue
        pictures.append(_Picture(time, mask, mask, time))
    for picture, following in zip(pictures, [*pictures[1:], None], strict=True):
        picture.end = following.start if following else max(duration, picture.last_time)
    return pictures


def _settled(pictures: list[_Picture], settle_s: float) -> list[_Picture]:
    """Pictures shown for less than `settle_s` merged into the next one (a transition
    belongs to the change it leads to, dated at its start); a short last one (a fade out)
    into the one before."""
    settled: list[_Picture] = []
    start: float | None = None
    for picture in pictures:
        if picture.end - picture.start < settle_s:
            start = picture.start if start is None else start
            continue
        if start is not None:
            picture.start, start = start, None
        settled.append(picture)
    if settled and start is not None:
        settled[-1].end = pictures[-1].end
    return settled or pictures[-1:]


def _new_slide(before: np.ndarray, after: np.ndarray, settings: SlideSettings) -> bool:
    """Ink went away (more than a build's noise): another slide, not a step of this one."""
    change = changed_ink(before, after, settings)
    added = int((change & after).sum())
    removed = int((change & before).sum())
    return removed > settings.build_removal * max(added, 1)


def detect_slides(video_path: Path | str, settings: SlideSettings | None = None) -> list[Slide]:
    """The slides of a video in order, each with its builds; a video without changes is
    one slide."""
    settings = settings or SlideSettings()
    path = Path(video_path)
    frames = sampled_frames(path, settings.sample_every_s, settings.thumb_width)
    pictures = _settled(_pictures(frames, settings, video_duration(path)), settings.settle_s)
    slides: list[_Picture] = []
    for picture in pictures:
        previous = slides[-1] if slides else None
        if previous is None or _new_slide(previous.last, picture.first, settings):
            slides.append(picture)
            continue
        if changed_ink(previous.last, picture.first, settings).any():
            previous.steps.append(picture.start)  # a build; else a transient came and went
        previous.last, previous.last_time = picture.last, picture.last_time
        previous.end = picture.end
    if slides:
        slides[0].start = 0.0
    return [
        Slide(
            start=round(s.start, 3),
            end=round(s.end, 3),
            builds=tuple(round(t, 3) for t in s.steps),
        )
        for s in slides
    ]
