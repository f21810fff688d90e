"""Specification of how transcript segments are grouped under keyframes into chunks."""

from __future__ import annotations

import math
import random

import pandas as pd
import pytest

from vid2learn_dagster.alignment.chunking import MAX_CHUNK_SECONDS, NO_SCENE, align_chunks
from vid2learn_dagster.storage.tables import conform, empty_table

VIDEO = "lecture"


def segments(*spans: tuple) -> pd.DataFrame:
    """A transcript_segments table from (start, end, text[, speaker]) rows; segment ids count
    from 0 in the order given; speaker None (not diarized) unless given."""
    return conform(
        pd.DataFrame(
            {
                "video_id": VIDEO,
                "segment_id": range(len(spans)),
                "start": [s[0] for s in spans],
                "end": [s[1] for s in spans],
                "text": [s[2] for s in spans],
                "avg_logprob": -0.2,
                "language": "en",
                "speaker": [s[3] if len(s) > 3 else None for s in spans],
            }
        ),
        "transcript_segments",
    )


def keyframes(*scenes: tuple[float, float]) -> pd.DataFrame:
    """A keyframes table; scenes numbered from 1 in the order given."""
    return conform(
        pd.DataFrame(
            {
                "video_id": VIDEO,
                "scene": range(1, len(scenes) + 1),
                "start": [s[0] for s in scenes],
                "end": [s[1] for s in scenes],
                "time": [(s[0] + s[1]) / 2 for s in scenes],
                "image_path": [f"scene-{n:04d}.jpg" for n in range(1, len(scenes) + 1)],
                "builds": pd.Series([[] for _ in scenes], dtype=object),
            }
        ),
        "keyframes",
    )


THREE_SLIDES = keyframes((0, 10), (10, 20), (20, 30))


def scene_of_segment(chunks: pd.DataFrame) -> dict[int, int]:
    return {i: row.scene for row in chunks.itertuples() for i in row.segment_ids}


def test_consecutive_segments_of_one_slide_merge_into_one_chunk() -> None:
    chunks = align_chunks(
        VIDEO,
        segments((1, 4, " Hello and"), (4, 8, " welcome. "), (12, 15, " Next slide.")),
        THREE_SLIDES,
    )
    first = chunks.iloc[0]
    assert (first.scene, first.start, first.end) == (1, 1, 8)
    assert first.text == "Hello and welcome."
    assert list(first.segment_ids) == [0, 1]
    assert first.image_path == "scene-0001.jpg"
    assert chunks.iloc[1].text == "Next slide."
    assert chunks.video_id.eq(VIDEO).all()


def test_segment_straddling_a_cut_goes_where_its_midpoint_is() -> None:
    chunks = align_chunks(
        VIDEO,
        segments((6, 13, "mostly before the cut"), (9, 18, "mostly after the cut")),
        THREE_SLIDES,
    )
    assert scene_of_segment(chunks) == {0: 1, 1: 2}


def test_midpoint_exactly_on_a_cut_belongs_to_the_scene_it_opens() -> None:
    chunks = align_chunks(VIDEO, segments((8, 12, "on the cut")), THREE_SLIDES)
    assert scene_of_segment(chunks) == {0: 2}


def test_midpoint_outside_every_scene_goes_to_the_nearest_and_ties_to_the_earlier() -> None:
    gappy = keyframes((0, 10), (20, 30))
    chunks = align_chunks(
        VIDEO,
        segments((14, 16, "tie"), (16, 18, "nearer the second"), (31, 35, "after the end")),
        gappy,
    )
    assert scene_of_segment(chunks) == {0: 1, 1: 2, 2: 2}


def test_slide_shown_in_silence_still_gets_a_chunk_spanning_its_scene() -> None:
    chunks = align_chunks(VIDEO, segments((1, 5, "first"), (22, 25, "third")), THREE_SLIDES)
    assert chunks.scene.tolist() == [1, 2, 3]
    silent = chunks.iloc[1]
    assert (silent.start, silent.end, silent.text) == (10, 20, "")
    assert list(silent.segment_ids) == []
    assert silent.image_path == "scene-0002.jpg"


def test_silent_slide_inside_a_long_segment_is_shown_before_the_slide_that_segment_explains() -> (
    None
):
    slides = keyframes((0, 10), (10, 12), (12, 30))
    chunks = align_chunks(VIDEO, segments((2, 4, "intro"), (5, 25, "long talk")), slides)
    assert chunks.scene.tolist() == [1, 2, 3]
    assert chunks.iloc[2].text == "long talk"


def test_no_speech_gives_one_chunk_per_keyframe() -> None:
    chunks = align_chunks(VIDEO, empty_table("transcript_segments"), THREE_SLIDES)
    assert chunks.scene.tolist() == [1, 2, 3]
    assert chunks[["start", "end"]].values.tolist() == [[0, 10], [10, 20], [20, 30]]
    assert chunks.text.eq("").all()


def test_a_speaker_change_starts_a_new_chunk_on_the_same_slide() -> None:
    chunks = align_chunks(
        VIDEO,
        segments(
            (1, 4, "Any questions?", "SPEAKER_00"),
            (4, 6, "Why a list?", "SPEAKER_01"),
            (6, 9, "Good question.", "SPEAKER_00"),
            (9, 9.5, "Indeed.", "SPEAKER_00"),
        ),
        keyframes((0, 10)),
    )
    assert chunks.speaker.tolist() == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"]
    assert [list(ids) for ids in chunks.segment_ids] == [[0], [1], [2, 3]]
    assert chunks.scene.eq(1).all() and chunks.image_path.eq("scene-0001.jpg").all()
    assert chunks.text.tolist() == ["Any questions?", "Why a list?", "Good question. Indeed."]


def test_without_diarization_chunks_merge_as_before_and_have_no_speaker() -> None:
    chunks = align_chunks(VIDEO, segments((1, 4, "a"), (4, 8, "b"), (22, 25, "c")), THREE_SLIDES)
    assert [list(ids) for ids in chunks.segment_ids] == [[0, 1], [], [2]]
    assert chunks.speaker.isna().all()


def test_no_keyframes_gives_chunks_without_scene_of_at_most_a_minute() -> None:
    ten_second_segments = segments(*[(t, t + 10, f"s{t}") for t in range(0, 150, 10)])
    chunks = align_chunks(VIDEO, ten_second_segments, empty_table("keyframes"))
    assert chunks.scene.eq(NO_SCENE).all()
    assert chunks.image_path.isna().all()
    assert [list(ids) for ids in chunks.segment_ids] == [
        [0, 1, 2, 3, 4, 5],
        [6, 7, 8, 9, 10, 11],
        [12, 13, 14],
    ]
    assert (chunks.end - chunks.start).le(MAX_CHUNK_SECONDS).all()


def test_a_segment_longer_than_the_limit_stays_whole() -> None:
    chunks = align_chunks(
        VIDEO, segments((0, 5, "a"), (5, 95, "monologue"), (95, 99, "b")), empty_table("keyframes")
    )
    assert [list(ids) for ids in chunks.segment_ids] == [[0], [1], [2]]


def test_one_keyframe_takes_all_speech_split_into_paragraphs_that_keep_its_image() -> None:
    talk = segments(*[(t, t + 20, f"s{t}") for t in range(0, 100, 20)])
    chunks = align_chunks(VIDEO, talk, keyframes((0, 100)))
    assert [list(ids) for ids in chunks.segment_ids] == [[0, 1, 2], [3, 4]]
    assert chunks.scene.eq(1).all()
    assert chunks.image_path.eq("scene-0001.jpg").all()
    whole = align_chunks(VIDEO, talk, keyframes((0, 100)), max_seconds=math.inf)
    assert [list(ids) for ids in whole.segment_ids] == [[0, 1, 2, 3, 4]]


def test_nothing_at_all_gives_an_empty_typed_table() -> None:
    chunks = align_chunks(VIDEO, empty_table("transcript_segments"), empty_table("keyframes"))
    assert chunks.empty
    assert chunks.dtypes.equals(empty_table("chunks").dtypes)


def test_row_order_of_the_inputs_does_not_matter_and_chunks_are_numbered_in_time_order() -> None:
    speech = segments((1, 4, "a"), (12, 15, "b"), (16, 19, "c"), (25, 28, "d"))
    expected = align_chunks(VIDEO, speech, THREE_SLIDES)
    shuffled = align_chunks(
        VIDEO, speech.sample(frac=1, random_state=1), THREE_SLIDES.sample(frac=1, random_state=2)
    )
    pd.testing.assert_frame_equal(shuffled, expected)
    assert expected.chunk_id.tolist() == [0, 1, 2]
    assert expected.start.is_monotonic_increasing


def random_case(rng: random.Random) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Whisper-like segments (in order, no overlap, pauses) under random scenes with gaps."""
    spans, t = [], 0.0
    for _ in range(rng.randrange(0, 40)):
        t += rng.choice([0.0, rng.uniform(0, 8)])
        duration = rng.uniform(0.2, 30)
        text = rng.choice(["word", " two words", ""])
        spans.append((t, t + duration, text, rng.choice(["SPEAKER_00", "SPEAKER_01", None])))
        t += duration
    cuts = sorted(rng.uniform(0, t + 20) for _ in range(rng.randrange(0, 12)))
    scenes = [(a, b) for a, b in zip([0.0, *cuts], [*cuts, t + 20], strict=True) if b > a]
    scenes = [s for s in scenes if rng.random() > 0.2]  # gaps between keyframes' scenes
    return segments(*spans), keyframes(*scenes)


@pytest.mark.parametrize("seed", range(100))
def test_every_segment_lands_in_exactly_one_chunk(seed: int) -> None:
    speech, slides = random_case(random.Random(seed))
    chunks = align_chunks(VIDEO, speech, slides)
    placed = [i for ids in chunks.segment_ids for i in ids]
    assert sorted(placed) == speech.segment_id.tolist()
    assert chunks.chunk_id.tolist() == list(range(len(chunks)))
    assert set(slides.scene) <= set(chunks.scene)
    for row in chunks.itertuples():
        mine = speech[speech.segment_id.isin(row.segment_ids)]
        if len(mine):
            assert (row.start, row.end) == (mine.start.min(), mine.end.max())
            speaker = "-" if pd.isna(row.speaker) else row.speaker
            assert mine.speaker.fillna("-").eq(speaker).all(), "one speaker per chunk"
        if len(mine) > 1:
            assert row.end - row.start <= MAX_CHUNK_SECONDS
