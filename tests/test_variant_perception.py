"""Reading and hearing lectures made differently from the sample (issue 11): the code of
every code slide read with a character error rate of at most 3 %, and the screen's terms
never making the transcript worse, with Whisper asked again where spelling cannot choose."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from resources.speech import hearing
from resources.speech.whisper import WhisperResource
from resources.vision.reader import VisionResource
from vid2learn_dagster.alignment.term_correction import (
    Listener,
    Screen,
    TermSettings,
    corrected_words,
    corrections_table,
    find_corrections,
    screen_terms,
)
from vid2learn_dagster.ingest.media import extract_audio
from vid2learn_dagster.quality.evaluation import (
    character_error_rate,
    spoken_words,
    voice_accuracy,
    word_error_rate,
)
from vid2learn_dagster.sample import spoken_turns
from vid2learn_dagster.sample.variants import VARIANTS
from vid2learn_dagster.speech.speakers import attribute_speakers, speech_over_others, turns_table
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


@dataclass(frozen=True)
class Heard:
    audio: Path  # the lecture's audio as the pipeline extracts it
    segments: pd.DataFrame  # `transcript_segments` from the default model (whisper base)
    words: pd.DataFrame  # `transcript_words` from the same
    listen: Listener  # the same model scoring texts against the lecture's audio


@pytest.fixture(scope="module")
def heard(lecture_variants, tmp_path_factory) -> dict[str, Heard]:
    """What Whisper heard in each lecture, and Whisper to ask again."""
    whisper = WhisperResource(cpu_threads=2)
    found = {}
    for name, (video, _) in lecture_variants.items():
        audio = extract_audio(video, tmp_path_factory.mktemp(name) / "audio.wav")
        result = whisper.transcribe(audio.path)
        found[name] = Heard(
            audio.path,
            *transcript_tables(name, result),
            hearing.listener(whisper, lambda path=audio.path: path, result.language),
        )
    return found


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


def corrected(name: str, lecture_variants, screens, heard, hearing: bool = True):
    """The `term_corrections` table of one lecture and its word error rates before/after."""
    _, truth = lecture_variants[name]
    words = heard[name].words
    terms = screen_terms(screens[name], truth["title"], truth["duration"])
    listen = heard[name].listen if hearing else None
    table = corrections_table(name, words, find_corrections(words, terms, listen=listen))
    fixed = corrected_words(words, table)
    assert fixed["start"].is_monotonic_increasing
    before = word_error_rate(truth["script"], " ".join(words["word"]))
    return table, before, word_error_rate(truth["script"], " ".join(fixed["word"]))


@pytest.mark.parametrize("name", NAMES)
def test_the_screens_terms_never_make_the_transcript_worse(name, lecture_variants, screens, heard):
    table, before, after = corrected(name, lecture_variants, screens, heard)
    assert after <= before, table[["heard", "corrected", "source", "hearing_gain"]].to_string()
    assert (
        table["source"].str.match(r"^(title|slide \d+|(said for \w+ in )?code on slide \d+)$").all()
    )


def said(text: str, phrase: str) -> int:
    """How often `phrase` is said in `text` (normalized words, as WER compares them)."""
    words, wanted = spoken_words(text), spoken_words(phrase)
    return sum(words[i : i + len(wanted)] == wanted for i in range(len(words)))


def test_hearing_told_the_slide_overrules_what_the_beam_wrote(lecture_variants, screens, heard):
    """same_layout: "Binary search cuts the range" right after "Linear search checks every
    item" is heard as "Linear search cuts...": both terms are on screen, so only Whisper,
    asked again with the slide instead of the previous sentence, can tell. The Scottish
    voice's "binary search" is heard as "Linear search" or "Dynamite search" depending on
    the CPU's kernels (a word no sound-alike rule links to "binary": the shared "search"
    places the term, hearing confirms it). However it was heard, every "binary search" of
    the script is in the corrected transcript, each change confirmed by hearing."""
    _, truth = lecture_variants["same_layout"]
    table, _, after = corrected("same_layout", lecture_variants, screens, heard)
    _, _, without = corrected("same_layout", lecture_variants, screens, heard, hearing=False)
    fixed = corrected_words(heard["same_layout"].words, table)
    assert said(" ".join(fixed["word"]), "binary search") == said(truth["script"], "binary search")
    confirmed = table[table["hearing_gain"].notna()]
    assert confirmed["corrected"].str.lower().str.startswith("binary").sum() >= 2, table
    assert (confirmed["hearing_gain"] >= TermSettings().min_gain).all()
    assert after < without


def test_word_error_rate_after_correction_is_at_most_6_percent_on_average(
    lecture_variants, screens, heard
):
    """Issue 11's floor, whisper base on the sample and every variant (seed 0's voices)."""
    rates = {name: corrected(name, lecture_variants, screens, heard)[2] for name in NAMES}
    assert sum(rates.values()) / len(rates) <= 0.06, rates


def test_hearing_keeps_within_whispers_context(heard):
    """Prompt, start tokens and text past Whisper's 448 positions made CTranslate2 raise
    (a failed partition): the screen's prompt gives way to the texts, and texts too long
    to force at all get no verdict."""
    listen = heard["same_layout"].listen
    said = " word" * 300
    scores = listen(0.0, 5.0, [said, said + " more"], "Binary search halves the range. " * 60)
    assert all(math.isfinite(score) for score in scores) and scores[0] != scores[1]
    assert listen(0.0, 5.0, [" word" * 500, " word" * 499], "") == [0.0, 0.0]


def test_code_read_aloud_is_written_as_said(lecture_variants, screens, heard):
    """three_voices: the Scottish student asks what `DESC` on the code slide does, saying
    "descending", a word Whisper base writes as "this end and"; the code's abbreviation
    offers the spoken form and hearing, told the slide, confirms it."""
    table, before, after = corrected("three_voices", lecture_variants, screens, heard)
    said = table[table["source"].str.startswith("said for DESC")]
    assert said["corrected"].tolist() == ["descending"], table.to_string()
    assert (said["hearing_gain"] >= TermSettings().min_gain).all()
    assert after < before


def test_a_plural_on_screen_is_heard_in_the_singular_said(lecture_variants, screens, heard):
    """screencast_vfr: the code counts `words`, the lecturer says "each word appears" and
    "the word that appears most", which Whisper base writes with "world" on some CPUs'
    kernels; the singular of the screen's plural is offered and hearing, told the slide,
    confirms it where needed. Either way the transcript says "word" where the script does
    and no "world"."""
    _, truth = lecture_variants["screencast_vfr"]
    table, before, after = corrected("screencast_vfr", lecture_variants, screens, heard)
    fixed = " ".join(corrected_words(heard["screencast_vfr"].words, table)["word"])
    assert said(fixed, "word") == said(truth["script"], "word") == 2, table.to_string()
    assert said(fixed, "world") == 0
    said_for = table[table["corrected"] == "word"]
    assert said_for["source"].str.startswith("said for words").all()
    assert after <= before


@pytest.fixture(scope="module")
def diarizer():
    pytest.importorskip("pyannote.audio", reason="diarization needs torch + pyannote.audio")
    from resources.speech.diarization import DiarizationResource

    return DiarizationResource(backend="offline")


@pytest.mark.parametrize("name", [n for n in NAMES if n in ("sample", "same_layout")])
def test_95_percent_of_words_go_to_the_right_voice_when_two_speak(
    name, lecture_variants, heard, diarizer
):
    """The lecturer and a student's question, each word under the voice that said it, as
    the pipeline attributes them (exclusive turns, segments split where the voice
    changes); labels map to the true voice they most often stand for."""
    _, truth = lecture_variants[name]
    reference = spoken_turns(truth)
    assert len({t.speaker for t in reference}) == 2
    views = diarizer.diarize_views(heard[name].audio)
    turns = turns_table(name, views.exclusive, speech_over_others(views.turns, views.exclusive))
    _, words = attribute_speakers(heard[name].segments, heard[name].words, turns)
    assert turns["speaker"].nunique() == 2
    assert voice_accuracy(words, reference) >= 0.95
