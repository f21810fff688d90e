"""A sentence spoken in another voice than the speaker it was clustered with (issue 11).

Pitch is checked against tones of known frequency; the decision against crafted cues,
one cue at a time, because its promise is that no single cue splits a speaker. The real
case (espeak's `en-gb+f2` student under a male lecturer) is in tests/test_diarization.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from vid2learn_dagster.speech.pauses import find_pauses, with_silences
from vid2learn_dagster.speech.pitch import median_log_pitch, pitch_track
from vid2learn_dagster.speech.sentence_voices import (
    SentenceCues,
    distinct_sentences,
    give_new_voices,
    owner_of,
    pause_delimited_sentences,
)

RATE = 16_000


def _voiced(frequency: float, seconds: float) -> np.ndarray:
    """A buzz with harmonics (like a glottal source), at a speech-like level."""
    t = np.arange(int(seconds * RATE)) / RATE
    wave = sum(np.sin(2 * np.pi * frequency * h * t) / h for h in range(1, 8))
    return (0.1 * wave).astype(np.float32)


@pytest.mark.parametrize("frequency", [85.0, 120.0, 210.0, 330.0])
def test_pitch_of_a_voiced_tone_is_its_frequency(frequency):
    assert 2 ** median_log_pitch(_voiced(frequency, 1.0), RATE) == pytest.approx(
        frequency, rel=0.02
    )


def test_noise_and_silence_have_no_pitch():
    noise = np.random.default_rng(0).normal(0, 0.1, RATE).astype(np.float32)
    assert np.isnan(median_log_pitch(noise, RATE))
    assert np.isnan(median_log_pitch(np.zeros(RATE, dtype=np.float32), RATE))
    assert len(pitch_track(np.zeros(100, dtype=np.float32), RATE)) == 0


def test_quiet_frames_are_unvoiced_so_pauses_do_not_pull_the_median():
    track = pitch_track(np.concatenate([_voiced(100.0, 0.5), 1e-4 * _voiced(300.0, 0.5)]), RATE)
    assert np.nanmedian(track[:40]) == pytest.approx(100.0, rel=0.02)
    assert np.isnan(track[-40:]).all()


def test_pauses_are_stretches_far_quieter_than_the_speech_and_long_enough():
    silence = np.zeros(int(0.3 * RATE), dtype=np.float32)
    breath = np.zeros(int(0.1 * RATE), dtype=np.float32)
    pieces = [_voiced(100, 1.5), silence, _voiced(100, 0.7), breath, _voiced(100, 0.8)]
    audio = np.concatenate([*pieces, silence, _voiced(100, 0.6), silence])
    # The 0.1 s breath is no pause; the trailing silence is.
    found = find_pauses(audio, RATE)
    assert [(round(a, 1), round(b, 1)) for a, b in found] == [(1.5, 1.8), (3.4, 3.7), (4.3, 4.6)]
    assert find_pauses(np.zeros(10, dtype=np.float32), RATE) == []


def test_silences_around_the_speech_regions_are_pauses_too():
    regions = [(0.5, 4.0), (6.0, 10.0)]
    assert with_silences([(2.0, 2.3)], regions, 10.0) == [(0.0, 0.5), (2.0, 2.3), (4.0, 6.0)]


def test_speech_is_cut_into_sentences_at_pauses_and_short_pieces_dropped():
    pauses = [(1.5, 1.8), (3.4, 3.7), (4.3, 4.6)]
    # The last 0.6 s piece is too short to compare; a pause outside a region cuts nothing.
    assert pause_delimited_sentences(pauses, [(0.0, 4.3)]) == [(0.0, 1.5), (1.8, 3.4)]
    assert pause_delimited_sentences(pauses, [(5.0, 7.0)]) == [(5.0, 7.0)]
    assert pause_delimited_sentences(pauses, [(5.0, 40.0)]) == [], "no pause in 35 s: no sentence"
    assert pause_delimited_sentences(pauses, []) == []


def _cues(n: int = 7, odd: dict | None = None, owners: list | None = None) -> SentenceCues:
    """n sentences of one voice (owner 0); `odd` moves the last one's cues: "pitch"
    (octaves), "spectrum" (spread units on every coefficient), "embedding" (mixing weight
    of an unrelated direction)."""
    rng = np.random.default_rng(1)
    odd = odd or {}
    voice, other = rng.normal(size=64), rng.normal(size=64)
    embeddings = voice + 0.35 * rng.normal(size=(n, 64))
    embeddings[-1] += odd.get("embedding", 0.0) * other
    pitch = np.log2(100.0) + 0.03 * rng.normal(size=n)
    pitch[-1] += odd.get("pitch", 0.0)
    spectra = rng.normal(size=19) + 0.3 * rng.normal(size=(n, 19))
    spectra[-1] += odd.get("spectrum", 0.0)
    spans = [(2.0 * i, 2.0 * i + 1.5) for i in range(n)]
    return SentenceCues(spans, owners or [0] * n, embeddings, pitch, spectra)


APART = {"pitch": 0.35, "spectrum": 1.0, "embedding": 0.6}


def test_a_sentence_set_apart_by_pitch_spectrum_and_embedding_is_a_new_voice():
    assert distinct_sentences(_cues(odd=APART)) == [None] * 6 + [0]
    assert distinct_sentences(_cues()) == [None] * 7


@pytest.mark.parametrize("kept", list(APART))
def test_two_cues_out_of_three_never_split_a_speaker(kept):
    """One real voice's sentences stand apart in one or two cues (AMI: 0.55 octave and a
    far spectrum with a close embedding), so all three must agree."""
    assert (
        distinct_sentences(_cues(odd={c: v for c, v in APART.items() if c != kept})) == [None] * 7
    )


def test_a_lower_voice_is_set_apart_as_a_higher_one_is():
    assert distinct_sentences(_cues(odd=APART | {"pitch": -0.35}))[-1] == 0


def test_a_speaker_with_too_few_other_sentences_keeps_them_all():
    """With two peers there is no spread to measure a sentence against."""
    assert distinct_sentences(_cues(n=2, odd=APART)) == [None, None]
    assert distinct_sentences(_cues(odd=APART, owners=[0, 0, 0, 0, 0, 1, 1])) == [None] * 7


def test_unvoiced_sentences_are_never_set_apart():
    cues = _cues(odd=APART)
    cues.log_pitch[-1] = np.nan
    assert distinct_sentences(cues) == [None] * 7


def test_sentences_lost_at_one_pitch_are_one_voice_and_at_two_pitches_two():
    cues = _cues(n=14, odd=APART)
    cues.embeddings[12] = cues.embeddings[13] + 0.05  # a second sentence of the odd voice
    cues.spectra[12] = cues.spectra[13]
    cues.log_pitch[12] = cues.log_pitch[13]
    assert distinct_sentences(cues)[11:] == [None, 0, 0]
    cues.log_pitch[12] += 0.6  # far higher still: someone else
    assert sorted(distinct_sentences(cues)[12:]) == [0, 1]


def test_a_voice_holding_many_of_a_speakers_sentences_is_left_to_clustering():
    """Three of ten: they widen the spread each sentence is measured against, and such a
    voice has windows enough for the embedding clusters to find it."""
    cues = _cues(n=10, odd=APART)
    for i in (7, 8):
        cues.embeddings[i], cues.spectra[i] = cues.embeddings[9] + 0.05, cues.spectra[9]
        cues.log_pitch[i] = cues.log_pitch[9]
    assert distinct_sentences(cues) == [None] * 10


def test_owner_holds_over_half_of_the_sentence():
    spans = [(0.0, 2.0, "a"), (2.0, 3.0, "b"), (1.5, 3.0, "c")]
    assert owner_of(spans, 0.0, 3.0) == "a"
    assert owner_of(spans, 1.5, 3.0) == "c"  # overlapped by b, held by c throughout
    assert owner_of([(0.0, 1.0, "a"), (1.0, 2.0, "b")], 0.0, 2.0) is None  # half each
    assert owner_of(spans, 5.0, 6.0) is None


def test_only_the_owners_time_in_the_sentence_moves_to_the_new_voice():
    cues = SentenceCues([(2.0, 4.0)], [0], np.zeros((1, 1)), np.zeros(1), np.zeros((1, 1)))
    spans = [(0.0, 6.0, 0), (3.0, 3.5, 1), (6.5, 8.0, 0)]
    assert give_new_voices(spans, cues, [0], first_key=2) == [
        (0.0, 2.0, 0),
        (2.0, 4.0, 2),
        (3.0, 3.5, 1),
        (4.0, 6.0, 0),
        (6.5, 8.0, 0),
    ]
    assert give_new_voices(spans, cues, [None], first_key=2) == spans
