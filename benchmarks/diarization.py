"""Offline diarization benchmark: load time, speed and DER on two real references.

    python benchmarks/diarization.py            # prints one JSON object

References: 30 s of an AMI meeting (shared/data/diarization/dev00.wav, scored 0-30 s as its
UEM says), nine more AMI clips (shared/data/diarization/train, 1-4 speakers each; issue 11
tunes on trn01-trn06 and keeps trn07-trn09 unseen) and pyannote.audio's own sample.wav
(two speakers with overlaps). DER is strict:
no collar, overlaps scored. `benchmark_diarization()` is what the pipeline benchmark calls.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path

from resources.speech.diarization import DiarizationResource, load_waveform
from vid2learn_dagster.speech.diarization import diarization_error_rate, read_rttm

SHARED_DATA = Path(
    os.environ.get("VID2LEARN_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def references() -> dict[str, tuple[Path, Path, str, tuple[float, float] | None]]:
    """name -> (audio, rttm, uri in the rttm, scored region); those present on this machine."""
    found = {}
    dev00 = SHARED_DATA / "diarization"
    if (dev00 / "dev00.wav").is_file():
        found["ami_dev00"] = (
            dev00 / "dev00.wav",
            dev00 / "debug.development.rttm",
            "dev00",
            (0.0, 30.0),
        )
    train = dev00 / "train"
    for number in range(1, 10):
        if (train / f"trn{number:02d}.wav").is_file():
            found[f"ami_trn{number:02d}"] = (
                train / f"trn{number:02d}.wav",
                train / "debug.train.rttm",
                f"trn{number:02d}",
                (0.0, 30.0),
            )
    spec = importlib.util.find_spec("pyannote.audio")
    if spec is not None and spec.submodule_search_locations:
        sample = Path(next(iter(spec.submodule_search_locations))) / "sample"
        found["pyannote_sample"] = (sample / "sample.wav", sample / "sample.rttm", "sample", None)
    return found


def benchmark_diarization(resource: DiarizationResource | None = None) -> dict:
    """Wall seconds, real-time factor and DER per reference, plus the one-off model load."""
    resource = resource or DiarizationResource(backend="offline")
    started = time.perf_counter()
    resource.diarize(next(iter(references().values()))[0])  # loads the models
    result: dict = {"model": resource.model_id, "first_call_s": time.perf_counter() - started}
    total_audio = total_wall = 0.0
    for name, (audio, rttm, uri, scored) in references().items():
        duration = len(load_waveform(audio)) / 16_000
        started = time.perf_counter()
        turns = resource.diarize(audio)
        wall = time.perf_counter() - started
        total_audio, total_wall = total_audio + duration, total_wall + wall
        result[name] = {
            "audio_s": round(duration, 2),
            "wall_s": round(wall, 3),
            "rtf": round(wall / duration, 4),
            "speakers": len({t.speaker for t in turns}),
            "true_speakers": len({t.speaker for t in read_rttm(rttm, uri)}),
            "der": round(
                diarization_error_rate(read_rttm(rttm, uri), turns, scored or (0.0, duration)), 4
            ),
        }
    result["first_call_s"] = round(result["first_call_s"], 2)
    # Issue 11: tuned on trn01-trn06, trn07-trn09 kept as an unseen check.
    for group, numbers in (("ami_train_tuned", range(1, 7)), ("ami_train_unseen", range(7, 10))):
        ders = [result[f"ami_trn{n:02d}"]["der"] for n in numbers if f"ami_trn{n:02d}" in result]
        if ders:
            result[f"{group}_mean_der"] = round(sum(ders) / len(ders), 4)
    ders = [result[f"ami_trn{n:02d}"]["der"] for n in range(1, 10) if f"ami_trn{n:02d}" in result]
    if ders:
        result["ami_train_mean_der"] = round(sum(ders) / len(ders), 4)
    result["rtf"] = round(total_wall / total_audio, 4) if total_audio else None
    return result


if __name__ == "__main__":
    print(json.dumps(benchmark_diarization(), indent=2))
