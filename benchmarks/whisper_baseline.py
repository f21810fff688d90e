"""Transcription speed floor: WhisperResource against faster-whisper's plain call.

The issue's floor is that our transcript stage (VAD, word timestamps, tidy segments)
is no slower than the plain sequential `WhisperModel.transcribe` on the same audio
(set for tiny.en on 2 cores: real-time factor <= 0.10). The default CPU model is whisper
base since issue 9; `--model tiny.en` measures the previous default.

    python benchmarks/whisper_baseline.py AUDIO [REFERENCE.txt] [--threads N] [--model M]

prints one JSON object with both runs (seconds, real-time factor and, given a
reference script, WER).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from resources.speech.whisper import SAMPLE_RATE, WhisperResource, model_path
from vid2learn_dagster.quality.evaluation import word_error_rate


def sequential_baseline(audio_path: Path, model: str, cpu_threads: int) -> dict:
    """Time faster-whisper's plain sequential transcribe (beam 5, no VAD, no word times).

    `model` is a `WhisperResource` setting (`load_settings().model`): the bundled names
    ("base", "tiny.en") resolve to their offline folders as in the resource. Model
    loading is not timed, as in the resource (loaded once per process).
    """
    from faster_whisper import WhisperModel, decode_audio

    model = WhisperModel(
        model_path(model), device="cpu", compute_type="int8", cpu_threads=cpu_threads
    )
    audio = decode_audio(str(audio_path), sampling_rate=SAMPLE_RATE)
    start = time.perf_counter()
    segments, _ = model.transcribe(audio, beam_size=5)
    text = " ".join(s.text.strip() for s in segments)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "text": text, "rtf": seconds / (len(audio) / SAMPLE_RATE)}


def resource_run(resource: WhisperResource, audio_path: Path) -> dict:
    """Time `WhisperResource.transcribe` with its model already loaded."""
    resource.transcribe(audio_path)  # loads the model once per process
    start = time.perf_counter()
    transcription = resource.transcribe(audio_path)
    seconds = time.perf_counter() - start
    text = " ".join(s.text for s in transcription.segments)
    return {"seconds": seconds, "text": text, "rtf": seconds / transcription.duration}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("audio", type=Path)
    parser.add_argument("reference", type=Path, nargs="?")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default="", help='"base" (default on CPU), "tiny.en", ...')
    args = parser.parse_args()
    resource = WhisperResource(cpu_threads=args.threads, model=args.model)
    settings = resource.load_settings()
    runs = {
        "baseline": sequential_baseline(args.audio, settings.model, settings.cpu_threads),
        "resource": resource_run(resource, args.audio),
    }
    if args.reference:
        script = args.reference.read_text()
        for run in runs.values():
            run["wer"] = word_error_rate(script, run["text"])
    print(json.dumps({"audio": str(args.audio), "model_id": resource.model_id, **runs}))


if __name__ == "__main__":
    main()
