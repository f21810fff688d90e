"""Frames of a video by presentation time (PyAV), small and grey, at most so often.

Times come from each frame's presentation timestamp, never from a frame count divided by
a nominal rate: screen recorders write variable-frame-rate files, where a frame lasts
until the screen changes (issue 11).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
    return container


def video_duration(path: Path) -> float:
    """Seconds from the container (0.0 when it does not say)."""
    with _open(path) as container:
        return float(container.duration or 0) / 1_000_000


def sampled_frames(path: Path, every_s: float, width: int) -> Iterator[tuple[float, np.ndarray]]:
    """(time, grey thumbnail `width` wide) of the first frame and then of the first frame
    at least `every_s` after the last one yielded; every frame is decoded (a change can
    fall on any), only the yielded ones are scaled."""
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
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
        except Exception as error:  # av.error.FFmpegError, raised mid-stream
            if decoded:
                raise UnreadableVideoError(f"{path} is cut short after {decoded} frames") from error
            raise UnreadableVideoError(f"no frames could be decoded from {path}") from error
        if not decoded:
            raise UnreadableVideoError(f"no frames could be decoded from {path}")


def frame_at(path: Path, time: float) -> tuple[np.ndarray, float]:
    """The frame on screen at `time` (BGR, full size) and its own presentation time: the
    last frame that starts at or before it (seek to the key frame before, decode on)."""
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if time > 0 and stream.time_base:
            container.seek(int(time / stream.time_base), stream=stream, backward=True)
        shown = None
        for frame in container.decode(stream):
            if shown is not None and frame.time is not None and frame.time > time + 1e-6:
                break
            shown = frame
        if shown is None:
            raise UnreadableVideoError(f"no frame of {path} at {time:.2f} s")
        return shown.to_ndarray(format="bgr24"), float(shown.time or 0.0)


def still_frame(path: Path, start: float, end: float, samples: int = 5) -> tuple[np.ndarray, float]:
    """The picture that stays between `start` and `end`: the per-pixel median of `samples`
    frames spread over the span, so a mouse pointer gliding over a slide (which OCR reads
    as a stray letter) is gone; with the time of the middle sample."""
    times = [start + (end - start) * (i + 1) / (samples + 1) for i in range(samples)]
    frames = [frame_at(path, time)[0] for time in times]
    middle = frame_at(path, times[samples // 2])[1]
    return np.median(np.stack(frames), axis=0).astype(np.uint8), middle
