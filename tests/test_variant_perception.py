"""Reading and hearing lectures made differently from the sample (issue 11): the code of
every code slide read with a character error rate of at most 3 %, and the screen's terms
never making the transcript worse."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from resources.speech.whisper import WhisperResource
from resources.vision.reader import VisionResource
from vid2learn_dagster.alignment.term_correction import (
    Screen,
    corrected_words,
    corrections_table,
    find_corrections,
    screen_terms,
)
from vid2learn_dagster.ingest.media import extract_audio
from vid2learn_dagster.quality.evaluation import character_error_rate, word_error_rate
from vid2learn_dagster.sample.variants import VARIANTS
from vid2learn_dagster.speech.transcription import transcript_tables
from vid2learn_dagster.vision.scenes import detect_scenes, extract_keyframes

pytestmark = pytest.mark.slow
NAMES = ["sample", *VARIANTS]


@pytest.fixture(scope="module")
def screens(lecture_variants, tmp_path_factory) -> dict[str, list[Screen]]:
    """Each lecture's slides as the pipeline reads them: slide detection, keyframes, OCR."""
    vision = VisionResource(backend="ocr", ocr_engine="tesseract")
    read = {}
    for name, (video, _) in lecture_variants.items():
        keyframes = extract_keyframes(
            video, detect_scenes(video), tmp_path_factory.mktemp(name), name
        )
        described = vision.describe([Path(p) for p in keyframes["image_path"]])
        read[name] = [
            Screen(int(k.scene), k.start, k.end, d.on_screen_text, d.code)
            for k, d in zip(keyframes.itertuples(), described, strict=True)
        ]
    return read


@pytest.fixture(scope="module")
def heard(lecture_variants, tmp_path_factory) -> dict[str, pd.DataFrame]:
    """Each lecture's `transcript_words` from the default model (whisper base)."""
    whisper = WhisperResource(cpu_threads=2)
    words = {}
    for name, (video, _) in lecture_variants.items():
        audio = extract_audio(video, tmp_path_factory.mktemp(name) / "audio.wav")
        words[name] = transcript_tables(name, whisper.transcribe(audio.path))[1]
    return words


@pytest.mark.parametrize("name", NAMES)
def test_the_code_of_every_code_slide_is_read(name, lecture_variants, screens):
    _, truth = lecture_variants[name]
    for slide in (s for s in truth["slides"] if s["code"]):
        middle = (slide["start"] + slide["end"]) / 2
        (screen,) = [s for s in screens[name] if s.start <= middle < s.end]
        assert character_error_rate(slide["code"], screen.code) <= 0.03, (
            slide["code"],
            screen.code,
        )


@pytest.mark.parametrize("name", NAMES)
def test_the_screens_terms_never_make_the_transcript_worse(name, lecture_variants, screens, heard):
    _, truth = lecture_variants[name]
    words = heard[name]
    terms = screen_terms(screens[name], truth["title"], truth["duration"])
    table = corrections_table(name, words, find_corrections(words, terms))
    fixed = corrected_words(words, table)
    before = word_error_rate(truth["script"], " ".join(words["word"]))
    after = word_error_rate(truth["script"], " ".join(fixed["word"]))
    assert after <= before, table[["heard", "corrected", "source"]].to_string()
    assert fixed["start"].is_monotonic_increasing
    assert table["source"].str.match(r"^(title|slide \d+|code on slide \d+)$").all()
