"""Transcript segments grouped under the keyframe that was on screen while they were said.

A chunk is what one notebook cell shows: a slide image and the speech that belongs to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vid2learn_dagster.storage.tables import conform, empty_table

NO_SCENE = -1
"""`scene` of a chunk with no keyframe (kept an int, not NULL, so the column stays int64)."""

MAX_CHUNK_SECONDS = 60.0
"""Longest span one chunk grows to by merging segments: about a readable paragraph."""


@dataclass
class _Chunk:
    owner: int  # row of the keyframe in time order, or NO_SCENE
    anchor: float  # the time that placed the chunk; chunks are ordered by it
    start: float
    end: float
    speaker: str | None = None
    texts: list[str] = field(default_factory=list)
    segment_ids: list[int] = field(default_factory=list)


def _owners(midpoints: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each midpoint, the row of the scene [start, end) holding it, else the nearest one.

    Containment scores -1 so it beats a distance of 0 (a midpoint exactly on a scene's end
    belongs to the next scene, which contains it); argmin's first-minimum rule sends a tie
    in distance to the earlier scene.
    """
    mid = midpoints[:, None]
    inside = (starts <= mid) & (mid < ends)
    distance = np.maximum(starts - mid, mid - ends)
    return np.argmin(np.where(inside, -1.0, distance), axis=1)


def align_chunks(
    video_id: str,
    segments: pd.DataFrame,
    keyframes: pd.DataFrame,
    max_seconds: float = MAX_CHUNK_SECONDS,
) -> pd.DataFrame:
    """Build the `chunks` table from `transcript_segments` and `keyframes` tables.

    Rule (the project's seed notebook): each segment goes to the keyframe whose scene
    interval is nearest its MIDPOINT (see `_owners`), so a segment straddling a cut goes
    where most of it was said; consecutive segments of the same keyframe merge into one
    chunk: texts joined by single spaces, start of the first, the latest end, segment ids in
    time order.

    Decided edge cases:
    - A speaker change starts a new chunk (same scene and image), so every chunk has one
      speaker: a student's question never hides inside the lecturer's paragraph.
    - A merged chunk is cut before it would span more than `max_seconds` (a lone longer
      segment stays whole), with or without keyframes: a talking-head video is one long
      scene and needs paragraphs as much as a video without keyframes does. The next chunk
      keeps the same scene and image. Pass `math.inf` for one chunk per run.
    - No keyframes: chunks have scene `NO_SCENE` and image_path None.
    - One keyframe: all speech belongs to it (then only `max_seconds` splits it).
    - A keyframe no segment belongs to (a slide shown in silence) still gets a chunk: empty
      text and segment_ids, spanning its scene, so the notebook still shows the slide.
    - No segments: one such chunk per keyframe. Neither: an empty typed table.

    Chunks are ordered by the time that placed them (a speech chunk's first segment
    midpoint, a silent slide's scene start), so slides appear in order even when a segment
    attached to a later slide began before an earlier one; chunk_id numbers them 0..n-1.
    Every segment appears in exactly one chunk.
    """
    segments = segments.sort_values(["start", "segment_id"], kind="stable")
    keyframes = keyframes.sort_values("start", kind="stable").reset_index(drop=True)
    seg_start = segments["start"].to_numpy(float)
    seg_end = segments["end"].to_numpy(float)
    midpoints = (seg_start + seg_end) / 2
    if keyframes.empty:
        owners = np.full(len(segments), NO_SCENE)
    else:
        kf_start, kf_end = keyframes["start"].to_numpy(float), keyframes["end"].to_numpy(float)
        owners = _owners(midpoints, kf_start, kf_end)

    # A missing speaker (no diarization, or a segment without words) is None, not NaN,
    # so two such segments still count as the same speaker.
    speakers = segments["speaker"].astype(object).where(segments["speaker"].notna(), None)
    chunks: list[_Chunk] = []
    for owner, mid, start, end, text, segment_id, speaker in zip(
        owners,
        midpoints,
        seg_start,
        seg_end,
        segments["text"],
        segments["segment_id"],
        speakers,
        strict=True,
    ):
        last = chunks[-1] if chunks else None
        if (
            last is None
            or last.owner != owner
            or last.speaker != speaker
            or end - last.start > max_seconds
        ):
            last = _Chunk(owner=int(owner), anchor=mid, start=start, end=end, speaker=speaker)
            chunks.append(last)
        last.end = max(last.end, end)
        last.texts.append(text.strip())
        last.segment_ids.append(int(segment_id))

    spoken = set(owners.tolist())
    chunks += [
        _Chunk(owner=row, anchor=kf.start, start=kf.start, end=kf.end)
        for row, kf in enumerate(keyframes.itertuples())
        if row not in spoken
    ]
    if not chunks:
        return empty_table("chunks")
    chunks.sort(key=lambda c: (c.anchor, c.owner))

    scene_of = dict(enumerate(keyframes["scene"].tolist()))
    image_of = dict(enumerate(keyframes["image_path"].tolist()))
    return conform(
        pd.DataFrame(
            {
                "video_id": video_id,
                "chunk_id": range(len(chunks)),
                "scene": [scene_of.get(c.owner, NO_SCENE) for c in chunks],
                "start": [c.start for c in chunks],
                "end": [c.end for c in chunks],
                "text": [" ".join(t for t in c.texts if t) for c in chunks],
                "segment_ids": [c.segment_ids for c in chunks],
                "image_path": [image_of.get(c.owner) for c in chunks],
                "speaker": [c.speaker for c in chunks],
            }
        ),
        "chunks",
    )
