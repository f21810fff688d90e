"""Speaker attribution of words and segments, on crafted turns with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vid2learn_dagster.speech.diarization import (
    LocalSpeakers,
    Turn,
    activity_to_spans,
    cluster_embeddings,
    frame_activity,
    label_by_first_appearance,
    speakers_per_frame,
)
from vid2learn_dagster.speech.speakers import (
    assign_speakers,
    attribute_speakers,
    join_words,
    main_speaker,
    other_voices_markdown,
    speaker_name,
    speech_over_others,
    split_segments_by_speaker,
    turns_table,
)
from vid2learn_dagster.speech.transcription import Segment, Transcription, Word, transcript_tables
from vid2learn_dagster.storage.tables import SCHEMAS, conform


def _turns(*rows: tuple[float, float, str]) -> pd.DataFrame:
    return turns_table("v", [Turn(*row) for row in rows])


def _words(*rows: tuple[int, float, float, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["segment_id", "start", "end", "word"])


def test_turns_table_is_the_speaker_turns_schema_in_time_order():
    table = _turns((5.0, 6.0, "SPEAKER_01"), (0.0, 4.0, "SPEAKER_00"))
    assert list(table.columns) == SCHEMAS["speaker_turns"].names
    assert table["start"].tolist() == [0.0, 5.0]
    assert table["video_id"].unique().tolist() == ["v"]
    assert turns_table("v", []).empty


def test_word_inside_a_turn_gets_that_speaker():
    words = _words((0, 0.5, 0.9, "hi"), (0, 5.1, 5.4, "yes"))
    turns = _turns((0.0, 4.0, "SPEAKER_00"), (5.0, 6.0, "SPEAKER_01"))
    assert assign_speakers(words, turns).tolist() == ["SPEAKER_00", "SPEAKER_01"]


def test_word_straddling_a_change_goes_to_the_larger_overlap():
    turns = _turns((0.0, 2.0, "SPEAKER_00"), (2.0, 4.0, "SPEAKER_01"))
    words = _words((0, 1.7, 2.1, "mostly-A"), (0, 1.9, 2.5, "mostly-B"))
    assert assign_speakers(words, turns).tolist() == ["SPEAKER_00", "SPEAKER_01"]


def test_word_in_a_gap_goes_to_the_nearest_turn():
    turns = _turns((0.0, 2.0, "SPEAKER_00"), (6.0, 8.0, "SPEAKER_01"))
    words = _words((0, 2.2, 2.5, "near-A"), (0, 5.0, 5.5, "near-B"), (0, 9.0, 9.2, "after"))
    assert assign_speakers(words, turns).tolist() == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_01"]


def test_overlapping_turns_sum_per_speaker():
    # B's two short turns together cover the word more than A's one turn does.
    turns = _turns(
        (0.0, 1.3, "SPEAKER_00"),
        (1.0, 1.6, "SPEAKER_01"),
        (1.6, 2.0, "SPEAKER_01"),
    )
    words = _words((0, 1.0, 2.0, "w"))
    assert assign_speakers(words, turns).tolist() == ["SPEAKER_01"]


def test_no_turns_means_no_speaker_and_index_is_kept():
    words = _words((0, 0.0, 1.0, "a"), (0, 1.0, 2.0, "b")).set_index(pd.Index([7, 9]))
    speakers = assign_speakers(words, _turns())
    assert speakers.index.tolist() == [7, 9]
    assert speakers.isna().all()


def test_segment_is_split_where_its_words_change_speaker():
    segments = pd.DataFrame(
        {
            "video_id": ["v", "v"],
            "segment_id": [0, 1],
            "start": [0.0, 4.0],
            "end": [3.9, 6.0],
            "text": ["Hello there. Hi!", "Fine."],
            "avg_logprob": [-0.2, -0.3],
        }
    )
    words = _words(
        (0, 0.0, 0.5, " Hello"),
        (0, 0.5, 1.0, " there."),
        (0, 2.0, 3.0, " Hi!"),
        (1, 4.0, 6.0, " Fine."),
    )
    words["speaker"] = ["SPEAKER_00", "SPEAKER_00", "SPEAKER_01", "SPEAKER_01"]
    new_segments, new_words = split_segments_by_speaker(segments, words)
    assert new_segments[["segment_id", "start", "end", "text", "speaker"]].values.tolist() == [
        [0, 0.0, 1.0, "Hello there.", "SPEAKER_00"],
        [1, 2.0, 3.0, "Hi!", "SPEAKER_01"],
        [2, 4.0, 6.0, "Fine.", "SPEAKER_01"],
    ]
    assert new_segments["avg_logprob"].tolist() == [-0.2, -0.2, -0.3]
    assert new_words["segment_id"].tolist() == [0, 0, 1, 2]


def test_segments_without_speakers_are_not_split():
    segments = pd.DataFrame({"segment_id": [0], "start": [0.0], "end": [2.0], "text": ["a b"]})
    words = _words((0, 0.0, 1.0, "a"), (0, 1.0, 2.0, "b"))
    words["speaker"] = assign_speakers(words, _turns())
    new_segments, new_words = split_segments_by_speaker(segments, words)
    assert new_segments["text"].tolist() == ["a b"]
    assert new_segments["speaker"].isna().all()
    assert len(new_words) == 2


def test_overlap_rows_are_speech_the_exclusive_view_gives_to_someone_else():
    # A lectures 0-10 s; B asks over A's last 2 s (8-10) and goes on to 14 s. The exclusive
    # view keeps A until 10; a 0.05 s rounding sliver at 14 s is no second voice.
    turns = [Turn(0.0, 10.0, "A"), Turn(8.0, 14.05, "B")]
    exclusive = [Turn(0.0, 10.0, "A"), Turn(10.0, 14.0, "B")]
    assert speech_over_others(turns, exclusive) == [Turn(8.0, 10.0, "B")]
    table = turns_table("v", exclusive, speech_over_others(turns, exclusive))
    assert table[["start", "end", "speaker", "overlap"]].values.tolist() == [
        [0.0, 10.0, "A", False],
        [8.0, 10.0, "B", True],
        [10.0, 14.0, "B", False],
    ]
    spoken = (table["end"] - table["start"]).groupby(table["speaker"]).sum()
    assert spoken.round(2).to_dict() == {"A": 10.0, "B": 6.0}


def test_overlap_inside_a_turn_splits_around_the_floor():
    # B holds the floor 3-4 s in the middle of A's overlapping turn 0-6 s.
    turns = [Turn(0.0, 6.0, "A"), Turn(3.0, 4.0, "B")]
    exclusive = [Turn(0.0, 3.0, "A"), Turn(3.0, 4.0, "B"), Turn(4.0, 6.0, "A")]
    assert speech_over_others(turns, exclusive) == [Turn(3.0, 4.0, "A")]
    assert speech_over_others(exclusive, exclusive) == []


def test_words_follow_the_floor_not_the_voice_talking_over_it():
    transcription = Transcription(
        "en",
        6.0,
        (
            Segment(
                0,
                0.0,
                6.0,
                "So that is all. Why lists?",
                -0.1,
                (
                    Word(0.0, 0.5, " So", 0.9),
                    Word(0.5, 1.0, " that", 0.9),
                    Word(1.0, 1.5, " is", 0.9),
                    Word(2.5, 2.9, " all.", 0.9),
                    Word(3.2, 3.8, " Why", 0.9),
                    Word(4.0, 5.0, " lists?", 0.9),
                ),
            ),
        ),
    )
    segments, words = transcript_tables("v", transcription)
    # The audience starts over the lecturer's last word ("all.", 2.5-2.9 s), which both
    # cover equally; the lecturer holds the floor there, so the word is the lecturer's.
    exclusive = [Turn(0.0, 3.0, "lecturer"), Turn(3.0, 5.2, "audience")]
    overlap = speech_over_others([Turn(2.5, 5.2, "audience")], exclusive)
    segments, words = attribute_speakers(segments, words, turns_table("v", exclusive, overlap))
    assert words["speaker"].tolist() == ["lecturer"] * 4 + ["audience"] * 2
    assert segments[["segment_id", "text", "speaker"]].values.tolist() == [
        [0, "So that is all.", "lecturer"],
        [1, "Why lists?", "audience"],
    ]
    assert words["segment_id"].tolist() == [0, 0, 0, 0, 1, 1]
    pd.testing.assert_frame_equal(segments, conform(segments, "transcript_segments"))
    pd.testing.assert_frame_equal(words, conform(words, "transcript_words"))


def test_no_speech_gives_empty_typed_tables():
    segments, words = transcript_tables("v", Transcription("en", 3.0))
    segments, words = attribute_speakers(segments, words, turns_table("v", []))
    assert segments.empty and words.empty
    assert list(segments.columns) == SCHEMAS["transcript_segments"].names
    assert list(words.columns) == SCHEMAS["transcript_words"].names


def _chunks(*rows: tuple[float, float, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["start", "end", "text", "speaker"])


def test_notebook_quotes_the_other_voices_with_who_and_when():
    chunks = _chunks(
        (0.0, 30.0, "Comprehensions build lists.", "SPEAKER_00"),
        (31.0, 35.0, "Can I use *two* loops?", "SPEAKER_01"),
        (35.0, 50.0, "Yes, you can.", "SPEAKER_00"),
    )
    main = main_speaker(chunks)
    assert (main, speaker_name("SPEAKER_01"), speaker_name("lecturer")) == (
        "SPEAKER_00",
        "Speaker 2",
        "lecturer",
    )
    assert other_voices_markdown(chunks, main) == (
        "**Q&A**\n\n- **Speaker 2** at 0:31: “Can I use \\*two\\* loops?”"
        "\n- **Speaker 1** replies at 0:35: “Yes, you can.”"
    ), "a question is followed by the main speaker's reply"
    assert other_voices_markdown(chunks.iloc[[0, 2]], main) == ""


def test_other_voices_without_a_question_or_diarization():
    statement = _chunks((0.0, 9.0, "a b c", "SPEAKER_01"), (9.0, 60.0, "x", "SPEAKER_00"))
    assert other_voices_markdown(statement, "SPEAKER_00").startswith("**Other speakers**")
    undiarized = _chunks((0.0, 9.0, "a b c", None))
    assert main_speaker(undiarized) is None
    assert other_voices_markdown(undiarized, None) == ""


@pytest.mark.parametrize(
    ("words", "text"),
    [([" Hello", " world."], "Hello world."), (["Hello", "world."], "Hello world.")],
)
def test_join_words_handles_both_spacing_conventions(words, text):
    assert join_words(words) == text


def test_labels_follow_first_appearance_and_agree_across_views():
    turns, exclusive = label_by_first_appearance(
        [(5.0, 6.0, "B"), (0.0, 1.0, "A"), (2.0, 3.0, "B"), (2.5, 3.0, "A")],
        [(2.0, 3.0, "B"), (5.0, 6.0, "B")],  # A's first turn is gone from this view
    )
    assert [t.speaker for t in turns] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00", "SPEAKER_01"]
    assert [t.speaker for t in exclusive] == ["SPEAKER_01", "SPEAKER_01"]


def test_activity_to_spans_bridges_short_pauses_and_drops_blips():
    activity = np.zeros((100, 2), dtype=bool)
    activity[10:40, 1] = True
    activity[42:60, 1] = True  # 20 ms pause: bridged
    activity[70:71, 0] = True  # 10 ms blip: dropped
    spans = activity_to_spans(
        activity, frame_start=0.0, frame_step=0.01, min_gap=0.1, min_duration=0.05, duration=0.5
    )
    assert spans == [(0.1, 0.5, 1)]  # and the span ends with the audio


def test_overlap_frames_get_the_nearby_second_speaker():
    count = np.array([1] * 10 + [2] * 5 + [1] * 10)
    windows = np.array([[0, 12], [12, 25]])
    activity = frame_activity(count, windows, np.array([0, 1]), 2, context_frames=5)
    assert activity[:10].tolist() == [[True, False]] * 10
    assert activity[10:15].all()
    assert activity[15:].tolist() == [[False, True]] * 10


def test_clustering_separates_two_voices_and_keeps_one_voice_whole():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=192), rng.normal(size=192)
    two = np.vstack([a + 0.3 * rng.normal(size=(20, 192)), b + 0.3 * rng.normal(size=(15, 192))])
    labels = cluster_embeddings(two)
    assert labels.tolist() == [0] * 20 + [1] * 15
    assert set(cluster_embeddings(two[:20]).tolist()) == {0}
    assert cluster_embeddings(two, num_speakers=2).tolist() == labels.tolist()
    assert set(cluster_embeddings(two[:3]).tolist()) == {0}  # too few for an eigengap


def _voice(rng: np.random.Generator, centre: np.ndarray, n: int, similarity: float) -> np.ndarray:
    """n windows of one voice whose pairwise cosine is about `similarity`."""
    noise = np.sqrt(1.0 / similarity - 1.0)
    return centre + noise * np.linalg.norm(centre) / np.sqrt(192) * rng.normal(size=(n, 192))


def test_few_windows_of_three_meeting_voices_are_three_speakers():
    """19 windows (about 11 s of speech, as AMI trn04): too few for the eigengap, which
    found 11 speakers there; agglomerative clustering must find the three voices."""
    rng = np.random.default_rng(1)
    a, b, c = rng.normal(size=(3, 192))
    windows = np.vstack([_voice(rng, a, 8, 0.65), _voice(rng, b, 6, 0.65), _voice(rng, c, 5, 0.65)])
    assert cluster_embeddings(windows).tolist() == [0] * 8 + [1] * 6 + [2] * 5
    one_voice = _voice(rng, a, 19, 0.6)  # far-field noise, as AMI's within-voice cosines
    assert set(cluster_embeddings(one_voice).tolist()) == {0}


def _overlapping_windows(rng: np.random.Generator, centre: np.ndarray, n: int) -> np.ndarray:
    """n windows 0.6 s apart, each hearing five 0.3 s pieces of sound: neighbours share
    pieces, so they look alike whoever speaks, as 1.5 s CAM++ windows 0.6 s apart do."""
    pieces = rng.normal(size=(2 * n + 3, 192))
    return np.stack([centre + pieces[2 * i : 2 * i + 5].sum(axis=0) / np.sqrt(5) for i in range(n)])


def test_overlapping_windows_of_one_voice_are_one_speaker():
    """30 s of one noisy voice (AMI trn09's failure, where spectral clustering cut one
    stretch of speech into pieces that each looked tight): told which windows share audio,
    clustering compares only those that do not and merges the pieces; two voices laid out
    the same way stay two."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 192))
    times = np.array([(0.6 * i, 0.6 * i + 1.5) for i in range(50)])
    one_voice = _overlapping_windows(rng, a, 50)
    assert set(cluster_embeddings(one_voice, windows=times).tolist()) == {0}
    two = np.vstack(
        [_overlapping_windows(rng, a, 25), _overlapping_windows(rng, 0.6 * a + 0.8 * b, 25)]
    )
    two_times = np.vstack([times[:25], times[:25] + 20.0])
    assert cluster_embeddings(two, windows=two_times).tolist() == [0] * 25 + [1] * 25


def test_a_small_cluster_unlike_every_other_stays_a_speaker():
    """A 2-window reply 0.3-0.4 alike to the one voice around it (AMI trn06) is another
    speaker; 2 windows of the same voice still join it."""
    rng = np.random.default_rng(3)
    main, other = rng.normal(size=(2, 192))
    reply = 0.35 * main / np.linalg.norm(main) + 0.94 * other / np.linalg.norm(other)
    windows = np.vstack([_voice(rng, main, 40, 0.7), _voice(rng, reply * 14, 2, 0.9)])
    assert cluster_embeddings(windows).tolist() == [0] * 40 + [1] * 2
    assert set(cluster_embeddings(_voice(rng, main, 42, 0.7)).tolist()) == {0}


def test_a_short_question_in_its_own_region_stays_another_voice():
    """A lecture: 60 lecturer windows in 5 regions, then a 2-window question whose voice is
    0.45-alike to the lecturer's (espeak voices in `same_layout`): it must get its own
    label, and the lecturer's regions, noisier than that, must not be split off."""
    rng = np.random.default_rng(2)
    lecturer = rng.normal(size=192)
    other = rng.normal(size=192)
    student = 0.45 * lecturer / np.linalg.norm(lecturer) + 0.89 * other / np.linalg.norm(other)
    windows = np.vstack([_voice(rng, lecturer, 60, 0.75), _voice(rng, student * 14, 2, 0.9)])
    regions = np.array([i // 12 for i in range(60)] + [5, 5])
    labels = cluster_embeddings(windows, regions=regions)
    assert set(labels[:60].tolist()) == {0}
    assert set(labels[60:].tolist()) == {1}
    lecture_only = cluster_embeddings(windows[:60], regions=regions[:60])
    assert set(lecture_only.tolist()) == {0}


def test_a_short_turn_with_no_pause_around_it_is_the_voice_it_touches():
    """The lecturer's first 1.2 s went to the student's cluster (a window straddling the
    lead-in silence); a question between pauses, or speech over another voice, stays."""
    from vid2learn_dagster.speech.diarization import absorb_unpaused_turns

    phantom = [(0.0, 1.2, "b"), (1.2, 30.0, "a")]
    assert absorb_unpaused_turns(phantom) == [(0.0, 30.0, "a")]
    question = [(0.0, 10.0, "a"), (10.45, 11.5, "b"), (11.95, 20.0, "a")]
    assert absorb_unpaused_turns(question) == question
    overlap = [(0.0, 10.0, "a"), (9.0, 10.0, "b"), (10.0, 20.0, "a")]
    assert absorb_unpaused_turns(overlap) == [(0.0, 20.0, "a"), (9.0, 10.0, "b")]


def _two_voices(rng: np.random.Generator, alike: float) -> np.ndarray:
    """40 windows of one voice, then 10 of a voice whose centre is `alike` (cosine) to it."""
    a, b = rng.normal(size=(2, 192))
    a = a / np.linalg.norm(a)
    b = b - (b @ a) * a
    second = alike * a + np.sqrt(1 - alike**2) * b / np.linalg.norm(b)
    return np.vstack([_voice(rng, a * 14, 40, 0.8), _voice(rng, second * 14, 10, 0.8)])


@pytest.mark.parametrize(
    ("alike", "second_turn", "speakers"),
    [
        (0.88, (20.0, 21.8), 1),  # barely apart, takes over mid-sentence: one voice
        (0.88, (20.4, 21.8), 2),  # barely apart, but begins at a pause: a voice
        (0.88, (21.0, 22.9), 2),  # ends at the silence after the speech
        (0.5, (20.0, 21.8), 2),  # plainly apart: a voice wherever it begins
    ],
)
def test_a_speaker_that_never_takes_a_turn_at_a_pause_needs_a_voice_of_its_own(
    alike, second_turn, speakers
):
    """One-voice lectures were split into a second "speaker" 0.08-0.10 apart that took
    over in mid-sentence (seed 1: "Each call | waits for the next one"); real voices,
    however close, begin or end some turn at a pause."""
    from vid2learn_dagster.speech.diarization import merge_unpaused_speakers
    from vid2learn_dagster.speech.pauses import with_silences

    embeddings = _two_voices(np.random.default_rng(5), alike)
    labels = np.array([0] * 40 + [1] * 10)
    times = np.array([(0.6 * i, 0.6 * i + 1.5) for i in range(50)])
    turns = [(0.0, 20.0, 0), (*second_turn, 1), (second_turn[1], 22.9, 0)]
    pauses = with_silences([(20.2, 20.4), (25.0, 25.5)], [(0.0, 22.9), (23.5, 30.0)], 30.0)
    merged = merge_unpaused_speakers(labels, embeddings, times, turns, pauses)
    assert merged.max() + 1 == speakers
    assert set(merged[:40].tolist()) == {0}
    assert merge_unpaused_speakers(labels, embeddings, times, turns, pauses, 2).max() == 1


def test_overlap_frames_get_the_voice_the_segmentation_hears_with_the_main_one():
    """The windows around the overlap (frames 25-30) lean to cluster 2, but the chunk hears
    its second voice alone in frames 40-60, which went to cluster 1: that is who overlaps."""
    count = np.array([1] * 25 + [2] * 5 + [1] * 30)
    windows = np.array([[0, 20], [20, 40], [40, 60]])
    chunk = np.zeros((1, 60, 3), dtype=bool)
    chunk[0, 20:40, 0] = True  # the main voice (cluster 0)
    chunk[0, 25:30, 1] = chunk[0, 40:60, 1] = True
    local = LocalSpeakers(chunk, np.array([0]))
    labels = np.array([2, 0, 1])
    heard = frame_activity(count, windows, labels, 3, context_frames=10, local_speakers=local)
    assert heard[25:30].tolist() == [[True, True, False]] * 5
    nearby = frame_activity(count, windows, labels, 3, context_frames=10)
    assert nearby[25:30].tolist() == [[True, False, True]] * 5


def test_overlap_is_counted_among_the_chunks_that_hear_speech():
    """Ten chunks see each frame. Frame 0: four hear one voice, two hear two, four (that
    missed the quiet speech) hear nobody: pyannote's mean over all ten, 0.8, rounds to one
    speaker; among the six that hear speech a third hear two, so two speak. Frame 1: six
    hear one voice. Frame 2: too unlikely to be speech."""
    speech = np.array([0.6, 0.6, 0.1])
    voices = np.array([0.8, 0.6, 0.0])
    hearing = np.array([0.6, 0.6, 0.0])
    assert speakers_per_frame(speech, voices, hearing, 0.3, 0.25).tolist() == [2, 1, 0]
