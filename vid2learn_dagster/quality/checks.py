"""Data quality rules for the stage tables: DataFrames in, a CheckOutcome out.

Each rule states an invariant downstream stages rely on (chunking assumes ordered
segments inside the video, the notebook assumes every keyframe image exists, ...).
`assets/quality/checks.py` runs them as Dagster asset checks; the blocking ones stop a bad
table before it reaches the notebook.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

from vid2learn_dagster.notebook.rendering import count_sections

# Decoders and Whisper round times to a frame or to 20 ms; anything within this of the
# end of the video is inside it.
TIME_TOLERANCE_S = 0.05
_EXAMPLES = 5


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    description: str
    problems: list[str] = field(default_factory=list)  # the first few offending rows

    @classmethod
    def of(cls, problems: list[str], ok: str, failed: str) -> CheckOutcome:
        if not problems:
            return cls(True, ok)
        return cls(False, f"{failed}: {len(problems)} problems", problems[:_EXAMPLES])

    @classmethod
    def per_video(cls, outcomes: Mapping[str, CheckOutcome]) -> CheckOutcome:
        """One outcome for a step that checked several videos (a batched model stage):
        a single video's as is; else passed only if every video passed, naming the others."""
        if len(outcomes) == 1:
            return next(iter(outcomes.values()))
        failed = {video: o for video, o in outcomes.items() if not o.passed}
        if not failed:
            return cls(True, f"all {len(outcomes)} videos passed")
        problems = [
            f"{video}: {o.description}" + "".join(f"; {p}" for p in o.problems)
            for video, o in failed.items()
        ]
        return cls(False, f"{len(failed)} of {len(outcomes)} videos failed", problems[:_EXAMPLES])


def _bad_times(table: pd.DataFrame, label: str, duration: float) -> list[str]:
    """Rows with a negative length or outside [0, duration]."""
    limit = duration + TIME_TOLERANCE_S
    bad = table[(table["start"] < 0) | (table["end"] < table["start"]) | (table["end"] > limit)]
    return [
        f"{label} {i}: {r.start:.2f}-{r.end:.2f} s (video {duration:.2f} s)"
        for i, r in bad.iterrows()
    ]


def transcript_timestamps(
    segments: pd.DataFrame, words: pd.DataFrame, duration: float
) -> CheckOutcome:
    """Segments ordered in time and inside the video; each word inside its segment."""
    problems = _bad_times(segments, "segment", duration)
    starts = segments["start"].to_numpy()
    problems += [
        f"segment {segments.index[i]} starts at {starts[i]:.2f} s, before the one before it"
        for i in range(1, len(starts))
        if starts[i] < starts[i - 1]
    ]
    problems += _bad_times(words, "word", duration)
    bounds = segments[["segment_id", "start", "end"]]
    joined = words.merge(bounds, on="segment_id", how="left", suffixes=("", "_segment"))
    outside = joined[
        joined["start_segment"].isna()
        | (joined["start"] < joined["start_segment"] - TIME_TOLERANCE_S)
        | (joined["end"] > joined["end_segment"] + TIME_TOLERANCE_S)
    ]
    problems += [
        f"word {r.word!r} at {r.start:.2f}-{r.end:.2f} s outside segment {r.segment_id}"
        for r in outside.itertuples()
    ]
    return CheckOutcome.of(
        problems,
        f"{len(segments)} segments and {len(words)} words in order inside {duration:.1f} s",
        "transcript timestamps are wrong",
    )


def keyframes_present(
    keyframes: pd.DataFrame, duration: float, exists: Callable[[str], bool]
) -> CheckOutcome:
    """Each keyframe inside the video and its image file there."""
    problems = _bad_times(keyframes, "scene", duration)
    limit = duration + TIME_TOLERANCE_S
    problems += [
        f"scene {r.scene}: keyframe at {r.time:.2f} s"
        for r in keyframes.itertuples()
        if not 0 <= r.time <= limit
    ]
    problems += [
        f"scene {r.scene}: no image at {r.image_path}"
        for r in keyframes.itertuples()
        if not exists(r.image_path)
    ]
    return CheckOutcome.of(
        problems, f"{len(keyframes)} keyframes inside the video, images present", "bad keyframes"
    )


def chunks_cover_segments(chunks: pd.DataFrame, segments: pd.DataFrame) -> CheckOutcome:
    """Every transcript segment in exactly one chunk, and no chunk naming an unknown one."""
    counts = Counter(int(s) for ids in chunks["segment_ids"] for s in ids)
    expected = {int(s) for s in segments["segment_id"]}
    problems = [f"segment {s} is in no chunk" for s in sorted(expected - set(counts))]
    problems += [f"segment {s} is in {n} chunks" for s, n in sorted(counts.items()) if n > 1]
    problems += [f"chunks name unknown segment {s}" for s in sorted(set(counts) - expected)]
    return CheckOutcome.of(
        problems,
        f"{len(expected)} segments each in exactly one chunk",
        "chunks do not cover the transcript",
    )


def notebook_valid(path: Path) -> CheckOutcome:
    """A valid nbformat v4 file with at least one section."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except (OSError, ValueError, nbformat.ValidationError) as err:
        return CheckOutcome(False, f"not a valid notebook: {path}", [str(err)[:500]])
    sections = count_sections(nb)
    if sections < 1:
        return CheckOutcome(False, f"the notebook has no sections: {path}")
    return CheckOutcome(
        True, f"valid nbformat {nb.nbformat}.{nb.nbformat_minor}, {sections} sections"
    )


def duplicate_videos(videos: pd.DataFrame) -> CheckOutcome:
    """No two partitions for one video: the same URL or the same file content (sha256)."""
    problems = []
    for column in ("url", "sha256"):
        known = videos.dropna(subset=[column])
        groups = known.groupby(column)["video_id"].unique()
        problems += [
            f"{column} {value} is in partitions {', '.join(sorted(ids))}"
            for value, ids in groups.items()
            if len(ids) > 1
        ]
    return CheckOutcome.of(problems, f"{len(videos)} videos, no duplicates", "duplicate videos")
