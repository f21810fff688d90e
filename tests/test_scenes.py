"""Scene cuts match PySceneDetect's own goldens; keyframes are the promised frames, on disk."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from vid2learn_dagster.storage.tables import conform
from vid2learn_dagster.vision.scenes import (
    Scene,
    SceneSettings,
    UnreadableVideoError,
    detect_scenes,
    extract_keyframes,
)

# Camera footage keeps PySceneDetect's ContentDetector; slides have their own detector
# (tests/test_slide_changes.py).
CAMERA = SceneSettings(detector="content")


def golden_cuts(shared_data: Path, video: str, detector: str, setting: str) -> list[int]:
    """Cut frames PySceneDetect's tests expect (the frame each new scene starts on)."""
    golden = shared_data / "scenes" / "goldens" / f"{video}.{detector}.{setting}.json"
    return json.loads(golden.read_text())["cuts"]


def cuts(scenes: list[Scene]) -> list[int]:
    return [scene.start_frame for scene in scenes[1:]]


@pytest.fixture(scope="module")
def testvideo(shared_data: Path) -> Path:
    return shared_data / "scenes" / "testvideo.mp4"


@pytest.fixture(scope="module")
def testvideo_scenes(testvideo: Path) -> list[Scene]:
    """ContentDetector with defaults, run once (about 3-6 s on 2 cores)."""
    started = time.perf_counter()
    scenes = detect_scenes(testvideo, CAMERA)
    print(f"detect_scenes(testvideo.mp4): {time.perf_counter() - started:.1f} s")
    return scenes


def test_content_detector_finds_the_known_cuts_and_scenes_tile_the_video(
    shared_data: Path, testvideo_scenes: list[Scene]
) -> None:
    assert cuts(testvideo_scenes) == golden_cuts(
        shared_data, "testvideo.mp4", "ContentDetector", "default"
    )
    assert [s.index for s in testvideo_scenes] == [1, 2, 3, 4]
    assert testvideo_scenes[0].start_frame == 0
    assert testvideo_scenes[-1].end_frame == 720  # ffprobe: nb_frames=720 (24.024 s at 29.97)
    assert testvideo_scenes[-1].end == pytest.approx(24.024)
    for before, after in itertools.pairwise(testvideo_scenes):
        assert (before.end_frame, before.end) == (after.start_frame, after.start)


@pytest.mark.parametrize(
    ("video", "settings", "golden"),
    [
        # On counter.mp4 only the adaptive and histogram detectors see a cut: the detector is used.
        ("counter.mp4", SceneSettings(detector="adaptive"), ("AdaptiveDetector", "default")),
        ("counter.mp4", SceneSettings(detector="hash"), ("HashDetector", "default")),
        ("counter.mp4", SceneSettings(detector="threshold"), ("ThresholdDetector", "default")),
        # The default adaptive threshold (3) adds a cut at 691 that threshold 5 does not.
        (
            "testvideo.mp4",
            SceneSettings(detector="adaptive", threshold=5),
            ("AdaptiveDetector", "t5"),
        ),
    ],
)
def test_settings_choose_detector_and_threshold(
    shared_data: Path, video: str, settings: SceneSettings, golden: tuple[str, str]
) -> None:
    scenes = detect_scenes(shared_data / "scenes" / video, settings)
    assert cuts(scenes) == golden_cuts(shared_data, video, *golden)


def test_unknown_detector_is_refused() -> None:
    with pytest.raises(ValueError, match="transnet"):
        SceneSettings(detector="transnet")


@pytest.fixture(scope="module")
def still_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of one colour at 25 fps: no cut anywhere."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg (apt install ffmpeg) is needed to make the test video")
    path = tmp_path_factory.mktemp("still") / "still.mp4"
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=navy:s=160x120:r=25:d=2"),
            *("-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)),
        ],
        check=True,
    )
    return path


def test_video_without_cuts_is_one_scene_with_one_keyframe(
    still_video: Path, tmp_path: Path
) -> None:
    scenes = detect_scenes(still_video, CAMERA)
    assert len(scenes) == 1
    assert (scenes[0].start_frame, scenes[0].end_frame) == (0, 50)
    assert (scenes[0].start, scenes[0].end) == pytest.approx((0.0, 2.0))
    keyframes = extract_keyframes(still_video, scenes, tmp_path, "still")
    assert keyframes.time.tolist() == pytest.approx([1.0])
    assert cv2.imread(keyframes.image_path[0]) is not None
    (slide,) = detect_scenes(still_video)  # the default slide detector agrees
    assert (slide.start, slide.end) == pytest.approx((0.0, 2.0)) and slide.builds == ()


@pytest.fixture(scope="module")
def testvideo_keyframes(
    testvideo: Path, testvideo_scenes: list[Scene], tmp_path_factory: pytest.TempPathFactory
) -> pd.DataFrame:
    return extract_keyframes(
        testvideo, testvideo_scenes, tmp_path_factory.mktemp("keyframes"), "testvideo"
    )


def test_one_readable_keyframe_per_scene_inside_its_scene(
    testvideo_scenes: list[Scene], testvideo_keyframes: pd.DataFrame
) -> None:
    keyframes = testvideo_keyframes
    pd.testing.assert_frame_equal(keyframes, conform(keyframes, "keyframes"))
    assert keyframes.scene.tolist() == [s.index for s in testvideo_scenes]
    assert keyframes.video_id.eq("testvideo").all()
    assert (keyframes.start <= keyframes.time).all() and (keyframes.time < keyframes.end).all()
    folder = Path(keyframes.image_path[0]).parent
    # Exactly the images, no temporary file left behind.
    assert sorted(p.name for p in folder.iterdir()) == [f"scene-000{n}.jpg" for n in range(1, 5)]
    for path in keyframes.image_path:
        image = cv2.imread(path)
        assert image is not None and image.shape == (720, 1280, 3)


def test_each_keyframe_is_the_middle_frame_of_its_scene(
    testvideo: Path, testvideo_scenes: list[Scene], testvideo_keyframes: pd.DataFrame
) -> None:
    """Reached by seeking or by decoding forward, the image is exactly that frame.

    The images are compared with the JPEG OpenCV makes (same default settings) of the frame
    decoded sequentially: identical only for the same frame, even in a still shot.
    """
    fps = 30000 / 1001
    wanted = {
        round(t * fps): path for t, path in testvideo_keyframes[["time", "image_path"]].values
    }
    assert list(wanted) == [(s.start_frame + s.end_frame) // 2 for s in testvideo_scenes]
    capture = cv2.VideoCapture(str(testvideo))
    for number in range(max(wanted) + 1):
        assert capture.grab()
        if number in wanted:
            frame = capture.retrieve()[1]
            expected = cv2.imdecode(cv2.imencode(".jpg", frame)[1], cv2.IMREAD_COLOR)
            assert np.array_equal(cv2.imread(wanted[number]), expected), number


def test_unreadable_video_is_a_value_error_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video" * 100)
    with pytest.raises(UnreadableVideoError, match=r"broken\.mp4"):
        detect_scenes(broken)
    with pytest.raises(ValueError, match=r"broken\.mp4"):
        extract_keyframes(broken, [Scene(1, 0.0, 1.0, 0, 25)], tmp_path, "broken")
    with pytest.raises(FileNotFoundError, match=r"missing\.mp4"):
        detect_scenes(tmp_path / "missing.mp4")
