"""Frames of a video by presentation time (PyAV), small and grey, at most so often.

Times come from each frame's presentation timestamp, never from a frame count divided by
a nominal rate: screen recorders write variable-frame-rate files, where a frame lasts
until the screen changes (issue 11).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np


class UnreadableVideoError(ValueError):
    """The file exists but cannot be decoded as a video."""


def _open(path: Path):
    import av

    if not path.is_file():
        raise FileNotFoundError(f"video not found: {path}")
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as error:
        raise UnreadableVideoError(f"cannot open {path} as a video: {error}") from error
    if not container.streams.video:
        container.close()
        raise UnreadableVideoError(f"cannot open {path} as a video: it has no video stream")
    container.streams.video[0].thread_type = "AUTO"  # decode with every core
    return container


def video_duration(path: Path) -> float:
    """Seconds from the container (0.0 when it does not say)."""
    with _open(path) as container:
        return float(container.duration or 0) / 1_000_000


def sampled_frames(path: Path, every_s: float, width: int) -> Iterator[tuple[float, np.ndarray]]:
    """(time, grey thumbnail `width` wide) of the first frame and then of the first frame
    at least `every_s` after the last one yielded; every frame is decoded (a change can
    fall on any), only the yielded ones are scaled."""
    import av

    with _open(path) as container:
        stream = container.streams.video[0]
        height = 2 * max(1, round(width * stream.height / stream.width / 2))
        next_time = -np.inf
        decoded = 0
        try:
            for frame in container.decode(stream):
                decoded += 1
                if frame.time is None or frame.time < next_time - 1e-6:
                    continue
                next_time = frame.time + every_s
                thumb = frame.reformat(width=width, height=height, format="gray")
                yield float(frame.time), thumb.to_ndarray()
        except av.error.FFmpegError as error:  # a file cut short or corrupt mid-stream
            if decoded:
                raise UnreadableVideoError(f"{path} is cut short after {decoded} frames") from error
            raise UnreadableVideoError(f"no frames could be decoded from {path}") from error
        if not decoded:
            raise UnreadableVideoError(f"no frames could be decoded from {path}")


def frames_at(path: Path, times: Sequence[float]) -> Iterator[Any]:
    """The decoded frame (`av.VideoFrame`) on screen at each of `times`, which must not
    decrease, in one decoding pass from the key frame before the first: cheaper than a
    seek per time when key frames are far apart (the sample has one every 20 s). Frames
    are yielded as they are reached, so memory stays flat however long the video."""
    if any(b < a for a, b in pairwise(times)):
        raise ValueError("frames_at needs times in order")
    with _open(path) as container:
        stream = container.streams.video[0]
        if times and times[0] > 0 and stream.time_base:
            container.seek(int(times[0] / stream.time_base), stream=stream, backward=True)
        shown, pending = None, 0
        for frame in container.decode(stream):
            while (
                pending < len(times)
                and shown is not None
                and (frame.time or 0.0) > times[pending] + 1e-6
            ):
                yield shown
                pending += 1
            if pending == len(times):
                return
            shown = frame
        if shown is None:
            raise UnreadableVideoError(f"no frames could be decoded from {path}")
        for _ in range(pending, len(times)):
            yield shown


def bgr(frame: Any) -> np.ndarray:
    """A decoded frame as a full-size BGR array (what OpenCV writes)."""
    return frame.to_ndarray(format="bgr24")


def median(frames: Sequence[Any]) -> np.ndarray:
    """The per-pixel median of decoded frames: what stays, without a moving pointer."""
    images = [bgr(f) for f in frames]
    if len(images) == 3:  # min/max network: ten times faster than np.median on 720p
        a, b, c = images
        return np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    return np.median(np.stack(images), axis=0).astype(np.uint8)


def still_frame(path: Path, start: float, end: float, samples: int = 5) -> tuple[np.ndarray, float]:
    """The picture that stays between `start` and `end`: the per-pixel median of `samples`
    frames spread over the span, so a mouse pointer gliding over a slide (which OCR reads
    as a stray letter) is gone; with the time of the middle sample."""
    times = [start + (end - start) * (i + 1) / (samples + 1) for i in range(samples)]
    frames = list(frames_at(path, times))
    return median(frames), float(frames[samples // 2].time or 0.0)
