"""The transcript stage against ground truth: real speech, silence and a broken model."""

from __future__ import annotations

import wave
from pathlib import Path

import pandas as pd
import pytest

from resources.whisper import WhisperResource
from vid2learn_dagster.errors import ModelLoadError
from vid2learn_dagster.evaluation import word_error_rate
from vid2learn_dagster.tables import SCHEMAS, conform
from vid2learn_dagster.transcription import (
    Segment,
    Transcription,
    Word,
    tidy_segments,
    transcript_tables,
)


@pytest.fixture(scope="session")
def whisper() -> WhisperResource:
    """The default resource (bundled tiny.en on CPU), model loaded once per session."""
    resource = WhisperResource(cpu_threads=2)
    resource.load_settings()
    return resource


@pytest.fixture(scope="session")
def jfk(shared_data: Path, whisper: WhisperResource) -> tuple[Transcription, str]:
    speech = shared_data / "speech"
    return whisper.transcribe(speech / "jfk.flac"), (speech / "jfk.txt").read_text()


def _assert_conforms(df: pd.DataFrame, name: str) -> None:
    assert list(df.columns) == SCHEMAS[name].names
    pd.testing.assert_frame_equal(df, conform(df, name))


@pytest.mark.slow
def test_jfk_word_error_rate_at_most_10_percent(jfk: tuple[Transcription, str]) -> None:
    transcription, reference = jfk
    hypothesis = " ".join(s.text for s in transcription.segments)
    assert transcription.language == "en"
    assert transcription.duration == pytest.approx(11.0, abs=0.1)
    assert word_error_rate(reference, hypothesis) <= 0.10


@pytest.mark.slow
def test_jfk_tables_conform_with_word_times_monotonic_inside_segments(
    jfk: tuple[Transcription, str],
) -> None:
    transcription, reference = jfk
    segments, words = transcript_tables("jfk", transcription)
    _assert_conforms(segments, "transcript_segments")
    _assert_conforms(words, "transcript_words")
    assert segments["segment_id"].tolist() == list(range(len(segments)))
    assert segments["start"].is_monotonic_increasing
    assert (segments["start"] < segments["end"]).all()
    assert len(words) == len(reference.split())
    assert not words["word"].str.startswith(" ").any()
    assert (words["start"] <= words["end"]).all()
    assert (words["start"].iloc[1:].to_numpy() >= words["end"].iloc[:-1].to_numpy()).all()
    bounds = words.merge(segments, on=["video_id", "segment_id"], suffixes=("", "_segment"))
    assert (bounds["start"] >= bounds["start_segment"]).all()
    assert (bounds["end"] <= bounds["end_segment"]).all()
    assert words["end"].iloc[-1] <= transcription.duration


@pytest.mark.slow
def test_silence_gives_empty_typed_tables(whisper: WhisperResource, tmp_path: Path) -> None:
    audio = tmp_path / "silence.wav"
    with wave.open(str(audio), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"\x00\x00" * 16_000 * 3)
    transcription = whisper.transcribe(audio)
    assert transcription.segments == ()
    assert transcription.duration == pytest.approx(3.0)
    segments, words = transcript_tables("silent", transcription)
    assert segments.empty and words.empty
    _assert_conforms(segments, "transcript_segments")
    _assert_conforms(words, "transcript_words")


def test_corrupt_model_folder_raises_model_load_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"not a CTranslate2 model")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelLoadError, match=str(tmp_path)):
        WhisperResource(model=str(tmp_path), device="cpu").transcribe(tmp_path / "unused.wav")


def test_missing_model_folder_raises_model_load_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelLoadError, match="no-such-model"):
        WhisperResource(model=str(missing), device="cpu").transcribe(tmp_path / "unused.wav")


def test_model_id_names_model_and_decoding_settings() -> None:
    default = WhisperResource(device="cpu").model_id
    assert "tiny.en" in default and "cpu/int8" in default and "beam=1" in default
    assert WhisperResource(device="cpu", beam_size=5).model_id != default
    assert str(Path.home()) not in default  # stable across machines: no install path


def test_tidy_segments_orders_numbers_and_clamps_overlapping_word_times() -> None:
    raw = [
        Segment(7, 2.0, 3.0, " second", -0.3, (Word(1.9, 3.2, " second", 0.8),)),
        Segment(
            3,
            0.5,
            2.1,
            " hello there",
            -0.2,
            (Word(0.4, 1.3, " hello", 0.9), Word(1.2, 2.0, " there", 0.7)),
        ),
        Segment(9, 3.0, 3.5, "  ", -1.0),
    ]
    tidy = tidy_segments(raw)
    assert [(s.id, s.start, s.end, s.text) for s in tidy] == [
        (0, 0.5, 2.1, "hello there"),
        (1, 2.1, 3.0, "second"),
    ]
    assert [(w.start, w.end, w.word) for s in tidy for w in s.words] == [
        (0.5, 1.3, "hello"),
        (1.3, 2.0, "there"),
        (2.1, 3.0, "second"),
    ]
