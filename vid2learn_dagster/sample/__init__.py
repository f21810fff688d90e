"""The bundled sample lecture: a short synthetic video with exact ground truth.

Tests and demos use it because every fact about it is known: slide cuts to the frame,
who speaks when, the spoken script and the code on screen (`generate.py` makes it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vid2learn_dagster.speech.diarization import Turn

SAMPLE_DIR = Path(__file__).resolve().parent


def sample_video() -> Path:
    """Path of the sample lecture (1280x720, 15 fps, H.264 + AAC mono)."""
    return SAMPLE_DIR / "lecture.mp4"


def ground_truth() -> dict:
    """The lecture's ground truth, as written by `generate.py` (times in seconds).

    Keys: title, duration, fps, cuts (start of every slide after the first, on whole
    frames), slides [{index, start, end, frames, title, body (text lines), code (exact
    source or None), formula (LaTeX or None), utterances [{speaker: "lecturer" |
    "student", voice (espeak-ng name), start, end, text}]}], script (all text, in order).
    """
    return json.loads((SAMPLE_DIR / "lecture.json").read_text(encoding="utf-8"))


def sample_script() -> str:
    """Everything spoken, in order, as one string (the reference for WER)."""
    return ground_truth()["script"]


def sample_code_blocks() -> list[str]:
    """Exact source shown on the code slides, in slide order (the reference for OCR)."""
    return [s["code"] for s in ground_truth()["slides"] if s["code"] is not None]


def spoken_turns(truth: dict) -> list[Turn]:
    """Who speaks when in a lecture's ground truth (the sample's or a variant's): one turn
    per utterance, named by role ("lecturer", "student"), the reference for DER and for
    attributing words to voices."""
    # Imported here: the diarization module brings scipy (0.5 s), which reading the
    # sample's files and generating variants do not need.
    from vid2learn_dagster.speech.diarization import Turn

    return [
        Turn(u["start"], u["end"], u["speaker"])
        for slide in truth["slides"]
        for u in slide["utterances"]
    ]
