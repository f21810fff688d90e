"""Scene detection and one keyframe image per scene.

A lecture's scenes are its slides: the default detector, "slides"
(`vid2learn_dagster.vision.slide_changes`), finds changes of text on an unchanged layout,
dates them by presentation time and keeps incremental builds inside one slide. For camera
footage PySceneDetect's detectors stay available ("content", "adaptive", ...). A scene's
keyframe is the picture the notebook shows beside what was said meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from scenedetect import (
    AdaptiveDetector,
    ContentDetector,
    HashDetector,
    HistogramDetector,
    SceneDetector,
    SceneManager,
    ThresholdDetector,
    VideoOpenFailure,
    VideoStream,
    open_video,
)

from vid2learn_dagster.storage.files import atomic_path
from vid2learn_dagster.storage.tables import conform, empty_table
from vid2learn_dagster.vision.slide_changes import detect_slides
from vid2learn_dagster.vision.video_frames import UnreadableVideoError, still_frame

__all__ = ["Scene", "SceneSettings", "UnreadableVideoError", "detect_scenes", "extract_keyframes"]

SLIDES = "slides"  # the lecture detector (slide_changes); the others are PySceneDetect's
# Each detector names its main sensitivity knob differently; SceneSettings.threshold maps onto it.
_DETECTORS: dict[str, tuple[type[SceneDetector], str]] = {
    "content": (ContentDetector, "threshold"),
    "adaptive": (AdaptiveDetector, "adaptive_threshold"),
    "threshold": (ThresholdDetector, "threshold"),
    "histogram": (HistogramDetector, "threshold"),
    "hash": (HashDetector, "threshold"),
}

# A seek decodes from the keyframe before its target; common encodes (YouTube among them) put
# keyframes every 2-10 s, so a target closer than this is reached faster by decoding forward.
_DECODE_FORWARD_SECONDS = 2.0


@dataclass(frozen=True)
class SceneSettings:
    """How to cut a video into scenes; None means PySceneDetect's own default."""

    detector: str = "slides"
    threshold: float | None = None
    downscale: int | None = None
    min_scene_len: int = 15

    def __post_init__(self) -> None:
        if self.detector != SLIDES and self.detector not in _DETECTORS:
            raise ValueError(
                f"unknown detector {self.detector!r}; choose one of {[SLIDES, *_DETECTORS]}"
            )

    def make_detector(self) -> SceneDetector:
        detector_type, threshold_arg = _DETECTORS[self.detector]
        kwargs: dict[str, float | int] = {"min_scene_len": self.min_scene_len}
        if self.threshold is not None:
            kwargs[threshold_arg] = self.threshold
        return detector_type(**kwargs)


@dataclass(frozen=True)
class Scene:
    """One scene: `index` counts from 1 (as PySceneDetect and the image names do); the end
    time and `end_frame` are exclusive (the next scene's start).

    PySceneDetect's scenes are counted in frames; slides are timed by presentation
    timestamps instead (a variable-frame-rate file has no frame grid: no frame numbers),
    with their `builds`.
    """

    index: int
    start: float
    end: float
    start_frame: int | None = None
    end_frame: int | None = None
    builds: tuple[float, ...] = ()


def _open(video_path: Path) -> VideoStream:
    """Open with PySceneDetect's OpenCV backend, turning its errors into ones naming the file."""
    if not video_path.is_file():
        raise FileNotFoundError(f"video not found: {video_path}")
    try:
        return open_video(str(video_path))
    except VideoOpenFailure as error:
        raise UnreadableVideoError(f"cannot open {video_path} as a video: {error}") from error


def detect_scenes(video_path: Path | str, settings: SceneSettings | None = None) -> list[Scene]:
    """Scenes of the whole video, in order; a video without cuts is one scene.

    `start_in_scene=True` makes PySceneDetect return that single scene instead of [] (its
    default), so every video has at least one keyframe.
    """
    video_path = Path(video_path)
    settings = settings or SceneSettings()
    if settings.detector == SLIDES:
        return [
            Scene(number, s.start, s.end, builds=s.builds)
            for number, s in enumerate(detect_slides(video_path), 1)
        ]
    video = _open(video_path)
    manager = SceneManager()
    if settings.downscale is not None:
        manager.auto_downscale = False
        manager.downscale = settings.downscale
    manager.add_detector(settings.make_detector())
    if manager.detect_scenes(video) == 0:
        raise UnreadableVideoError(f"no frames could be decoded from {video_path}")
    return [
        Scene(
            index=number,
            start=start.seconds,
            end=end.seconds,
            start_frame=start.frame_num,
            end_frame=end.frame_num,
        )
        for number, (start, end) in enumerate(manager.get_scene_list(start_in_scene=True), 1)
    ]


def keyframe_number(scene: Scene) -> int:  # a PySceneDetect scene (frames known)
    """The scene's middle frame.

    It is as far as possible from both cuts: past the fade, slide animation or camera
    settling that follows the cut in, and before whatever leads into the next cut.
    """
    return scene.start_frame + (scene.end_frame - scene.start_frame) // 2


def _read_frame(video: VideoStream, number: int) -> tuple[np.ndarray, float]:
    """Frame `number` and its presentation time (s), decoding forward when it is near."""
    ahead = number - video.frame_number  # frame_number: the frame the next read() returns
    if 0 <= ahead < _DECODE_FORWARD_SECONDS * float(video.frame_rate):
        for _ in range(ahead):
            video.read(decode=False)
    else:
        video.seek(number)
    frame = video.read()
    if frame is False:
        raise UnreadableVideoError(f"cannot decode frame {number} of {video.path}")
    return frame, video.position.seconds


def extract_keyframes(
    video_path: Path | str, scenes: list[Scene], out_dir: Path | str, video_id: str
) -> pd.DataFrame:
    """Write `scene-0001.jpg`... (one per scene, see `keyframe_number`) into `out_dir`.

    Returns a `keyframes` table; `time` is the image's own timestamp in the video.
    """
    if not scenes:
        return empty_table("keyframes")
    video_path, out_dir = Path(video_path), Path(out_dir)
    video = None
    rows = []
    for scene in sorted(scenes, key=lambda s: s.start):
        if scene.start_frame is None:  # a slide: its last build, without the pointer
            since = max(scene.builds, default=scene.start)
            frame, time = still_frame(video_path, since, scene.end)
        else:
            video = video or _open(video_path)
            frame, time = _read_frame(video, keyframe_number(scene))
        image_path = out_dir / f"scene-{scene.index:04d}.jpg"
        # The temporary name keeps the .jpg suffix, which cv2.imwrite needs to pick the encoder.
        with atomic_path(image_path) as tmp:
            if not cv2.imwrite(str(tmp), frame):
                raise OSError(f"could not write {image_path}")
        rows.append(
            {
                "video_id": video_id,
                "scene": scene.index,
                "start": scene.start,
                "end": scene.end,
                "time": time,
                "image_path": str(image_path),
                "builds": list(scene.builds),
            }
        )
    return conform(pd.DataFrame(rows), "keyframes")
