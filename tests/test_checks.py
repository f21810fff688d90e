"""Asset checks: each rule passes good tables and fails a crafted bad one, and a blocking
check failure stops the stages downstream of the bad table in the same run."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from resources.speech.whisper import WhisperResource
from tests.http_server import make_test_video
from tests.lineage_fixtures import core_definitions
from tests.pipeline import project_at
from vid2learn_dagster.app.cli import add_videos
from vid2learn_dagster.notebook.rendering import (
    Section,
    VideoSource,
    render_notebook,
    write_notebook,
)
from vid2learn_dagster.quality import checks
from vid2learn_dagster.speech.transcription import Segment, Transcription, Word


def segments_table(*rows: tuple[int, float, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["segment_id", "start", "end"])


def words_table(*rows: tuple[int, float, float, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["segment_id", "start", "end", "word"])


GOOD_SEGMENTS = segments_table((0, 0.0, 2.0), (1, 2.5, 4.0))
GOOD_WORDS = words_table((0, 0.1, 0.8, "hello"), (0, 0.9, 2.0, "there"), (1, 2.5, 4.0, "bye"))


def test_a_good_transcript_passes():
    outcome = checks.transcript_timestamps(GOOD_SEGMENTS, GOOD_WORDS, duration=4.0)
    assert outcome.passed, outcome.problems


@pytest.mark.parametrize(
    ("segments", "words", "problem"),
    [
        (segments_table((0, 2.5, 4.0), (1, 0.0, 2.0)), words_table(), "before the one before"),
        (segments_table((0, 0.0, 2.0), (1, 2.5, 6.0)), words_table(), "video 4.00 s"),
        (segments_table((0, 1.0, 0.5)), words_table(), "segment 0: 1.00-0.50"),
        (GOOD_SEGMENTS, words_table((0, 2.2, 2.4, "late")), "'late' at 2.20-2.40 s outside"),
        (GOOD_SEGMENTS, words_table((7, 0.1, 0.2, "orphan")), "outside segment 7"),
    ],
    ids=["unordered", "past-the-end", "negative-length", "word-outside", "unknown-segment"],
)
def test_a_bad_transcript_fails_naming_the_problem(segments, words, problem):
    outcome = checks.transcript_timestamps(segments, words, duration=4.0)
    assert not outcome.passed
    assert any(problem in p for p in outcome.problems), outcome.problems


def keyframes_table(tmp_path: Path, *times: float) -> pd.DataFrame:
    rows = []
    for scene, time in enumerate(times):
        image = tmp_path / f"scene-{scene}.jpg"
        image.write_bytes(b"jpeg")
        rows.append((scene, max(time - 0.5, 0.0), time + 0.5, time, str(image)))
    return pd.DataFrame(rows, columns=["scene", "start", "end", "time", "image_path"])


def test_keyframes_inside_the_video_with_images_pass(tmp_path):
    table = keyframes_table(tmp_path, 0.5, 2.0)
    assert checks.keyframes_present(table, 3.0, lambda p: Path(p).exists()).passed


def test_a_missing_image_or_a_keyframe_past_the_end_fails(tmp_path):
    table = keyframes_table(tmp_path, 0.5, 2.0)
    Path(table.loc[1, "image_path"]).unlink()
    outcome = checks.keyframes_present(table, 3.0, lambda p: Path(p).exists())
    assert not outcome.passed
    assert outcome.problems == [f"scene 1: no image at {table.loc[1, 'image_path']}"]
    late = checks.keyframes_present(keyframes_table(tmp_path, 5.0), 3.0, lambda p: True)
    assert not late.passed
    assert "keyframe at 5.00 s" in " ".join(late.problems)


def chunks_table(*segment_ids: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"chunk_id": range(len(segment_ids)), "segment_ids": list(segment_ids)})


def test_chunks_covering_every_segment_once_pass():
    assert checks.chunks_cover_segments(chunks_table([0], [1]), GOOD_SEGMENTS).passed


@pytest.mark.parametrize(
    ("chunks", "problem"),
    [
        (chunks_table([0]), "segment 1 is in no chunk"),
        (chunks_table([0, 1], [1]), "segment 1 is in 2 chunks"),
        (chunks_table([0, 1, 9]), "chunks name unknown segment 9"),
    ],
    ids=["missing", "twice", "unknown"],
)
def test_chunks_that_lose_or_repeat_speech_fail(chunks, problem):
    outcome = checks.chunks_cover_segments(chunks, GOOD_SEGMENTS)
    assert not outcome.passed
    assert outcome.problems == [problem]


SOURCE = VideoSource(video_id="v", url="https://example.org/v.mp4", title="A lecture")


def test_a_notebook_with_sections_passes_and_others_fail(tmp_path):
    good = tmp_path / "good.ipynb"
    write_notebook(render_notebook(SOURCE, [Section("Part 1", 0.0, 1.0, "Hello.")]), good)
    outcome = checks.notebook_valid(good)
    assert outcome.passed
    assert "1 sections" in outcome.description

    empty = tmp_path / "empty.ipynb"
    write_notebook(render_notebook(SOURCE, []), empty)
    assert "no sections" in checks.notebook_valid(empty).description

    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": "not a list", "nbformat": 4}')
    assert not checks.notebook_valid(broken).passed
    assert not checks.notebook_valid(tmp_path / "missing.ipynb").passed


def test_two_partitions_for_one_video_are_reported():
    videos = pd.DataFrame(
        {
            "video_id": ["a-1", "a-2", "b-1", "c-1"],
            "url": ["http://h/a.mp4", "http://h/a.mp4", "http://h/b.mp4", "http://h/c.mp4"],
            "sha256": ["s1", "s1", "s2", "s2"],
        }
    )
    outcome = checks.duplicate_videos(videos)
    assert not outcome.passed
    assert outcome.problems == [
        "url http://h/a.mp4 is in partitions a-1, a-2",
        "sha256 s1 is in partitions a-1, a-2",
        "sha256 s2 is in partitions b-1, c-1",
    ]
    assert checks.duplicate_videos(videos.iloc[[0, 2]]).passed


class OverlongTranscriber(WhisperResource):
    """A transcriber whose last segment runs past the end of the audio (Whisper does this
    when it hallucinates over trailing silence): the bad input the check must stop."""

    def transcribe(self, audio_path: Path) -> Transcription:
        word = Word(0.2, 9.0, " forever", 0.5)
        segment = Segment(0, 0.2, 9.0, " forever", -0.3, (word,))
        return Transcription(language="en", duration=2.0, segments=(segment,))


@pytest.mark.slow
def test_a_failing_blocking_check_stops_everything_downstream(tmp_path):
    video = make_test_video(tmp_path / "lecture.mp4", seconds=2.0, cuts=[1.0])
    with project_at(tmp_path / "project") as project:
        (key,) = add_videos(project.instance, [str(video)], source="test")
        defs = core_definitions(whisper=OverlongTranscriber())
        result = defs.resolve_job_def("process_video").execute_in_process(
            instance=project.instance, partition_key=key, raise_on_error=False
        )
    assert not result.success
    evaluations = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }
    assert not evaluations["transcript_timestamps"].passed
    assert evaluations["keyframes_present"].passed  # the other branch is unaffected
    started = {
        e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START
    }
    assert "transcript" in started
    assert "chunks" not in started
    assert project.has_table("transcript_segments", key)
    assert not project.has_table("chunks", key)
