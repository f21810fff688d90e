"""Frames of a video by presentation time (PyAV), small and grey, at most so often.

Times come from each frame's presentation timestamp, never from a frame count divided by
a nominal rate: screen recorders write variable-frame-rate files, where a frame lasts
until the screen changes (issue 11).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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


def frames_at(path: Path, times: Sequence[float]) -> list[tuple[np.ndarray, float]]:
    """The frame on screen at each of `times` (BGR, full size, with its own presentation
    time), in one decoding pass: cheaper than a seek per time when key frames are far
    apart (the sample lecture has one every 20 s)."""
    order = sorted(range(len(times)), key=lambda i: times[i])
    found: list[tuple[np.ndarray, float] | None] = [None] * len(times)
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        first = times[order[0]] if order else 0.0
        if first > 0 and stream.time_base:  # from the key frame before the first time
            container.seek(int(first / stream.time_base), stream=stream, backward=True)
        shown, pending = None, 0

        def take(frame) -> tuple[np.ndarray, float]:
            return frame.to_ndarray(format="bgr24"), float(frame.time or 0.0)

        for frame in container.decode(stream):
            while (
                pending < len(order)
                and shown is not None
                and (frame.time or 0.0) > times[order[pending]] + 1e-6
            ):
                found[order[pending]] = take(shown)
                pending += 1
            if pending == len(order):
                break
            shown = frame
        if shown is None:
            raise UnreadableVideoError(f"no frames could be decoded from {path}")
        for index in order[pending:]:
            found[index] = take(shown)
    return [f for f in found if f is not None]


def still_frame(path: Path, start: float, end: float, samples: int = 5) -> tuple[np.ndarray, float]:
    """The picture that stays between `start` and `end`: the per-pixel median of `samples`
    frames spread over the span, so a mouse pointer gliding over a slide (which OCR reads
    as a stray letter) is gone; with the time of the middle sample."""
    times = [start + (end - start) * (i + 1) / (samples + 1) for i in range(samples)]
    frames = frames_at(path, times)
    stack = np.stack([frame for frame, _ in frames])
    return np.median(stack, axis=0).astype(np.uint8), frames[samples // 2][1]
