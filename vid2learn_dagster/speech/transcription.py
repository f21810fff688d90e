"""Transcripts as plain values and as the `transcript_segments` / `transcript_words` tables.

The Whisper backend (`resources/speech/whisper.py`) fills these dataclasses; everything here is
pure so the table shape and the timing guarantees are testable without a model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import pandas as pd

from vid2learn_dagster.storage.tables import SCHEMAS, conform


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class Segment:
    id: int
    start: float
    end: float
    text: str
    avg_logprob: float
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcription:
    """One video's transcript. `language` is what Whisper detected (or was told), an ISO
    639-1 code such as "en" or "de"; it goes on every segment row (issue 9)."""

    language: str
    duration: float
    segments: tuple[Segment, ...] = ()


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _tidy_words(words: Iterable[Word], start: float, end: float) -> tuple[Word, ...]:
    tidy: list[Word] = []
    previous_end = start
    for word in words:
        text = word.word.strip()
        if not text:
            continue
        w_start = _clamp(word.start, previous_end, end)
        w_end = _clamp(word.end, w_start, end)
        tidy.append(Word(w_start, w_end, text, word.probability))
        previous_end = w_end
    return tuple(tidy)


def tidy_segments(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    """Segments in time order, numbered 0..n-1, with words inside them and monotonic.

    Whisper's cross-attention word times (DTW) can overlap the neighbouring word or
    spill a few tens of milliseconds past their segment, and segments of adjacent
    windows can overlap. Later stages join words to segments and scenes by time, so
    each time is clamped into place (never reordered): a segment starts no earlier
    than the previous one ends; a word starts no earlier than the previous word ends
    and lies within its segment. Blank segments and words are dropped.
    """
    tidy: list[Segment] = []
    previous_end = 0.0
    for segment in sorted(segments, key=lambda s: (s.start, s.end)):
        text = segment.text.strip()
        if not text:
            continue
        start = max(segment.start, previous_end)
        end = max(segment.end, start)
        words = _tidy_words(segment.words, start, end)
        tidy.append(replace(segment, id=len(tidy), start=start, end=end, text=text, words=words))
        previous_end = end
    return tuple(tidy)


def _table(rows: list[dict], name: str) -> pd.DataFrame:
    return conform(pd.DataFrame(rows, columns=SCHEMAS[name].names), name)


def transcript_tables(
    video_id: str, transcription: Transcription
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `transcript_segments` and `transcript_words` tables (typed, empty for no speech).

    Every segment carries the video's detected language: later stages (and SQL over the
    views) can pick language-specific handling without reading run metadata.
    """
    segments = [
        {
            "video_id": video_id,
            "segment_id": s.id,
            "start": s.start,
            "end": s.end,
            "text": s.text,
            "avg_logprob": s.avg_logprob,
            "language": transcription.language,
        }
        for s in transcription.segments
    ]
    words = [
        {
            "video_id": video_id,
            "segment_id": s.id,
            "start": w.start,
            "end": w.end,
            "word": w.word,
            "probability": w.probability,
        }
        for s in transcription.segments
        for w in s.words
    ]
    return _table(segments, "transcript_segments"), _table(words, "transcript_words")
