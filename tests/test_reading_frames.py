"""Frames for reading (issue 11): each scene's distinct pictures are kept and read, so a
build step or a second code slide inside one scene is read too; a pointer is no picture."""

from __future__ import annotations

import pytest

from vid2learn_dagster.vision.descriptions import VisualDescription, merge_readings
from vid2learn_dagster.vision.reading_frames import distinct_frames, reading_times
from vid2learn_dagster.vision.scenes import SceneSettings, detect_scenes, extract_keyframes


def frames_per_scene(video, settings, folder) -> list[int]:
    keyframes = extract_keyframes(video, detect_scenes(video, settings), folder, "v")
    table = distinct_frames(video, keyframes, folder, "v")
    assert (table.groupby("scene")["frame"].min() == 0).all(), "frame 0 is the keyframe"
    assert table.merge(keyframes, on=["scene", "image_path"]).shape[0] == len(keyframes)
    return table.groupby("scene").size().tolist()


def test_one_frame_per_build_step_and_a_gliding_pointer_adds_none(lecture_variants, tmp_path):
    video, truth = lecture_variants["revealed"]
    steps = [len(slide.get("steps", [])) or 1 for slide in truth["slides"]]
    assert frames_per_scene(video, SceneSettings(), tmp_path) == steps


def test_slides_a_camera_detector_merged_are_each_read(lecture_variants, tmp_path):
    """ContentDetector sees one scene in slides of one layout; every slide is still read."""
    video, truth = lecture_variants["same_layout"]
    assert frames_per_scene(video, SceneSettings(detector="content"), tmp_path) == [
        len(truth["slides"])
    ]


def test_samples_fall_inside_every_build_step_at_least_once():
    assert reading_times(0.0, 3.0, [], 2.0) == [1.5]
    assert reading_times(0.0, 10.0, [4.0], 2.0) == pytest.approx([1.0, 3.0, 5.0, 7.0, 9.0])


def describe(text: str, code: str = "") -> VisualDescription:
    return VisualDescription("A slide.", text, bool(code), code, "ocr")


def test_a_scene_reads_as_its_keyframe_plus_what_only_other_frames_showed():
    final = "def f(n):\n    if n == 0:\n        return 1\n    return n * f(n - 1)"
    earlier = "def f(n):\n    if n == O:"  # an earlier build, read with a slip
    other = "print(f(5))"
    merged = merge_readings(
        [
            describe(f"Factorial\n{final}", final),
            describe(f"Factorial\n{earlier}", earlier),
            describe(f"Use it\n{other}", other),
        ]
    )
    assert merged.code == f"{final}\n\n{other}"
    assert merged.on_screen_text.splitlines()[0] == "Factorial"
    assert "Use it" in merged.on_screen_text and merged.has_code
