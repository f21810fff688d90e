"""Perception on lectures not tuned on (issue 11): slide changes, code, words and voices.

    python -m benchmarks.perception [--out DIR] [--variants NAME ...]   # prints one JSON object

For the bundled sample and every generated variant (`vid2learn_dagster.sample.variants`):
slide-change recall and precision (within 1 s), the character error rate of the code of
every code slide (read from all its frames for reading), the transcript's word error rate
(whisper base) before and after the screen's terms corrected it, the share of words
attributed to the right voice, DER against the script's utterances, and each step's
real-time factor (OCR seconds per frame read apart). The stages run as the pipeline runs
them, on the pipeline's resources, without Dagster around them.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from resources.speech import hearing
from resources.speech.diarization import DiarizationResource
from resources.speech.whisper import WhisperResource
from resources.vision.reader import VisionResource
from vid2learn_dagster.alignment.term_correction import (
    corrected_words,
    corrections_table,
    find_corrections,
    screen_terms,
    slide_screens,
)
from vid2learn_dagster.ingest.media import extract_audio
from vid2learn_dagster.quality.evaluation import (
    character_error_rate,
    voice_accuracy,
    word_error_rate,
)
from vid2learn_dagster.sample import ground_truth, sample_video, spoken_turns
from vid2learn_dagster.sample.variants import VARIANTS, generate_variant
from vid2learn_dagster.speech.diarization import diarization_error_rate
from vid2learn_dagster.speech.speakers import attribute_speakers, speech_over_others, turns_table
from vid2learn_dagster.speech.transcription import transcript_tables
from vid2learn_dagster.vision.descriptions import scene_descriptions
from vid2learn_dagster.vision.reading_frames import distinct_frames
from vid2learn_dagster.vision.scenes import detect_scenes, extract_keyframes

TOLERANCE_S = 1.0


def slide_scores(found: list[float], cuts: list[float], duration: float) -> dict:
    hits = sum(any(abs(f - c) <= TOLERANCE_S for f in found) for c in cuts)
    false = [f for f in found if not any(abs(f - c) <= TOLERANCE_S for c in cuts)]
    return {
        "recall": round(hits / len(cuts), 4) if cuts else 1.0,
        "precision": round((len(found) - len(false)) / len(found), 4) if found else 1.0,
        "false_per_minute": round(len(false) / (duration / 60), 3),
    }


def code_scores(truth: dict, keyframes: pd.DataFrame, codes: list[str]) -> list[dict]:
    """CER of the code read on the keyframe of the scene each code slide is mostly in."""
    scores = []
    middles = (keyframes["start"] + keyframes["end"]) / 2
    for slide in truth["slides"]:
        if not slide["code"]:
            continue
        inside = [
            code
            for middle, code in zip(middles, codes, strict=True)
            if slide["start"] <= middle < slide["end"]
        ]
        read = max(inside, key=len, default="")
        scores.append(
            {"slide": slide["title"], "cer": round(character_error_rate(slide["code"], read), 4)}
        )
    return scores


def variant_report(
    name: str,
    video: Path,
    truth: dict,
    work: Path,
    whisper: WhisperResource,
    diarizer: DiarizationResource,
    vision: VisionResource,
) -> dict:
    duration = truth["duration"]
    seconds: dict[str, float] = {}

    def timed(step: str, call, *args):
        started = time.perf_counter()
        result = call(*args)
        seconds[step] = time.perf_counter() - started
        return result

    scenes = timed("slides", detect_scenes, video)
    keyframes = timed("keyframes", extract_keyframes, video, scenes, work / name, name)
    frames = timed("reading_frames", distinct_frames, video, keyframes, work / name, name)
    readings = timed("ocr", vision.describe, [Path(p) for p in frames["image_path"]])
    visuals = scene_descriptions(name, frames, readings)
    audio = work / f"{name}.wav"
    timed("audio", extract_audio, video, audio)
    views = timed("diarization", diarizer.diarize_views, audio)
    result = timed("transcription", whisper.transcribe, audio)
    turns = turns_table(name, views.exclusive, speech_over_others(views.turns, views.exclusive))
    _, words = attribute_speakers(*transcript_tables(name, result), turns)
    reference = spoken_turns(truth)
    terms = screen_terms(slide_screens(keyframes, visuals), truth["title"], duration)
    listen = hearing.listener(whisper, lambda: audio, result.language)
    found = timed("term_correction", find_corrections, words, terms, None, listen, result.language)
    corrections = corrections_table(name, words, found)
    fixed = corrected_words(words, corrections)
    return {
        "duration_s": duration,
        "slides": slide_scores([s.start for s in scenes[1:]], truth["cuts"], duration),
        "code": code_scores(truth, keyframes, list(visuals["code"])),
        "wer": round(word_error_rate(truth["script"], " ".join(words["word"])), 4),
        "wer_corrected": round(word_error_rate(truth["script"], " ".join(fixed["word"])), 4),
        "term_corrections": [
            f"{c.heard} -> {c.corrected}" + ("" if pd.isna(c.hearing_gain) else " (heard)")
            for c in corrections.itertuples()
        ],
        "voices": len({t.speaker for t in reference}),
        "speakers_found": int(turns["speaker"].nunique()),
        "word_voice_accuracy": voice_accuracy(words, reference),
        "der": round(diarization_error_rate(reference, views.turns, (0.0, duration)), 4),
        "rtf": {step: round(s / duration, 4) for step, s in seconds.items()},
        "frames_read": len(frames),
        "ocr_s_per_frame": round(seconds["ocr"] / max(len(frames), 1), 3),
    }


def benchmark_perception(names: list[str], out: Path, seed: int = 0) -> dict:
    whisper = WhisperResource()
    diarizer = DiarizationResource(backend="offline")
    vision = VisionResource(backend="ocr")
    videos = {"sample": (sample_video(), ground_truth())}
    for name in names:
        videos[name] = (out / f"{name}.mp4", generate_variant(name, out, seed))
    report = {
        name: variant_report(name, video, truth, out, whisper, diarizer, vision)
        for name, (video, truth) in videos.items()
    }
    codes = [c["cer"] for r in report.values() for c in r["code"]]
    two_voices = [r["word_voice_accuracy"] for r in report.values() if r["voices"] == 2]
    report["total"] = {
        "slide_recall": min(r["slides"]["recall"] for r in report.values()),
        "slide_false_per_minute": max(r["slides"]["false_per_minute"] for r in report.values()),
        "code_cer_max": max(codes, default=0.0),
        "mean_wer": round(sum(r["wer"] for r in report.values()) / len(report), 4),
        "mean_wer_corrected": round(
            sum(r["wer_corrected"] for r in report.values()) / len(report), 4
        ),
        "two_voice_word_accuracy_min": min(two_voices, default=None),
        "mean_der": round(sum(r["der"] for r in report.values()) / len(report), 4),
    }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="folder for the variants (default: a temp one)")
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    parser.add_argument(
        "--seed", type=int, default=0, help="voices of the variants (0 is the tests')"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vid2learn-perception-") as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        print(json.dumps(benchmark_perception(args.variants, out, args.seed), indent=2))


if __name__ == "__main__":
    main()
