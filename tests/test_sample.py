"""The bundled sample lecture matches its ground truth (other tests score stages against it)."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from vid2learn_dagster.sample import (
    SAMPLE_DIR,
    ground_truth,
    sample_code_blocks,
    sample_script,
    sample_video,
)

needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg not installed (apt-get install -y ffmpeg)",
)


@pytest.fixture(scope="module")
def truth() -> dict:
    return ground_truth()


@pytest.fixture(scope="module")
def probe() -> dict:
    if shutil.which("ffprobe") is None:
        pytest.skip("ffprobe not installed (apt-get install -y ffmpeg)")
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", sample_video()],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def test_video_duration_matches_ground_truth(probe: dict, truth: dict) -> None:
    assert sample_video().stat().st_size < 2.5e6
    assert float(probe["format"]["duration"]) == pytest.approx(truth["duration"], abs=0.1)
    assert 60 <= truth["duration"] <= 80


def test_one_720p_video_stream_and_one_mono_audio_stream(probe: dict, truth: dict) -> None:
    video = [s for s in probe["streams"] if s["codec_type"] == "video"]
    audio = [s for s in probe["streams"] if s["codec_type"] == "audio"]
    assert len(video) == 1 and len(audio) == 1
    assert (video[0]["width"], video[0]["height"]) == (1280, 720)
    assert video[0]["codec_name"] == "h264" and video[0]["pix_fmt"] == "yuv420p"
    assert video[0]["r_frame_rate"] == f"{truth['fps']}/1"
    assert audio[0]["codec_name"] == "aac" and audio[0]["channels"] == 1


def test_cuts_are_the_slide_boundaries_on_whole_frames(truth: dict) -> None:
    slides, cuts, fps = truth["slides"], truth["cuts"], truth["fps"]
    assert 6 <= len(slides) <= 7
    assert [s["index"] for s in slides] == list(range(len(slides)))
    assert all(a < b for a, b in itertools.pairwise(cuts))
    assert cuts == [s["start"] for s in slides[1:]]
    assert slides[0]["start"] == 0 and slides[-1]["end"] == truth["duration"]
    for before, after in itertools.pairwise(slides):
        assert before["end"] == after["start"]
    for cut in cuts:
        assert cut * fps == pytest.approx(round(cut * fps), abs=1e-3)


def test_utterances_lie_inside_their_slides_in_order(truth: dict) -> None:
    previous_end = 0.0
    for slide in truth["slides"]:
        assert slide["utterances"], f"slide {slide['index']} is silent"
        for u in slide["utterances"]:
            assert slide["start"] < u["start"] < u["end"] < slide["end"]
            assert u["start"] - previous_end >= 0.3  # audible pause between utterances
            previous_end = u["end"]


def test_script_is_the_utterances_in_order_with_numbers_spelled_out(truth: dict) -> None:
    texts = [u["text"] for s in truth["slides"] for u in s["utterances"]]
    assert sample_script() == " ".join(texts)
    assert not any(ch.isdigit() for ch in sample_script())  # Whisper writes digits its own way


def test_two_speakers_and_two_indented_code_slides(truth: dict) -> None:
    utterances = [u for s in truth["slides"] for u in s["utterances"]]
    assert {u["speaker"] for u in utterances} == {"lecturer", "student"}
    assert len({u["voice"] for u in utterances}) == 2
    code = sample_code_blocks()
    assert len(code) >= 2
    for block in code:
        compile(block, "<slide>", "exec")  # real Python
        assert len(block.splitlines()) >= 4
        assert any(line.startswith("    ") for line in block.splitlines())
    assert any(s["formula"] for s in truth["slides"])


@needs_ffmpeg
def test_picture_changes_exactly_at_each_cut(truth: dict) -> None:
    """Frames c-1 | c differ (the cut), frames c and c+1 do not: cuts are frame-exact."""
    fps = truth["fps"]
    cut_frames = [round(c * fps) for c in truth["cuts"]]
    wanted = sorted({n + d for n in cut_frames for d in (-1, 0, 1)})
    select = "+".join(f"eq(n\\,{n})" for n in wanted)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", sample_video(), "-vf",
         f"select={select},scale=160:90,format=gray", "-fps_mode", "passthrough",
         "-f", "rawvideo", "-"],
        check=True,
        capture_output=True,
    ).stdout  # fmt: skip
    frames = dict(zip(wanted, np.frombuffer(raw, np.uint8).reshape(-1, 90, 160), strict=True))

    def diff(a: int, b: int) -> float:
        return float(np.abs(frames[a].astype(int) - frames[b].astype(int)).mean())

    for n in cut_frames:
        assert diff(n - 1, n) > 20, f"no cut at frame {n}"
        assert diff(n, n + 1) < 2, f"picture still changing after frame {n}"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_regenerated_ground_truth_is_identical(tmp_path: Path) -> None:
    """The committed JSON is what generate.py produces (speech timing is deterministic).

    Only the timeline is rebuilt: encoding the video adds ~15 s of CPU and the JSON does not
    depend on it.
    """
    from vid2learn_dagster.sample.generate import build_timeline, to_json

    _, truth, _ = build_timeline(tmp_path)
    assert to_json(truth) == (SAMPLE_DIR / "lecture.json").read_text(encoding="utf-8")


def test_a_variant_is_the_same_script_with_voices_drawn_from_its_seed() -> None:
    from vid2learn_dagster.sample.variants import variant

    def voices(seed: int) -> set:
        lecture, _ = variant("three_voices", seed)
        return {voice for slide in lecture.slides for voice, _ in slide.speech}

    assert voices(0) == voices(0)
    assert voices(0) != voices(1)
    assert len({v.speaker for v in voices(0)}) == 3
    first, second = variant("three_voices", 0)[0], variant("three_voices", 1)[0]
    assert [s.title for s in first.slides] == [s.title for s in second.slides]


def test_code_that_would_run_off_a_slide_is_refused() -> None:
    """Ground truth must not claim code no one can see (a 14-line listing does not fit)."""
    from vid2learn_dagster.sample.generate import Slide, render_slide

    with pytest.raises(ValueError, match="run off the slide"):
        render_slide(Slide("Too long", (), code="x = 1\n" * 14), is_title=False)
