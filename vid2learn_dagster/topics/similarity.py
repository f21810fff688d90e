"""Group consecutive transcript chunks into topics by embedding similarity.

Rule: a chunk joins the running topic while its cosine similarity to the topic's
*mean* embedding stays at or above `threshold`. The mean, not the previous chunk, is the
reference because chunk-to-chunk comparison lets a lecture drift A -> B -> C one small
step at a time without ever starting a new topic; the mean remembers where the topic
began. Lengths are counted in chunks, not seconds: each topic becomes one notebook
section and one LLM prompt, and chunks (already bounded in length upstream) bound
that prompt's size, which matters for a small model's context window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vid2learn_dagster.storage.tables import conform, empty_table


@dataclass(frozen=True)
class Topic:
    topic_id: int
    chunk_ids: list[int]
    start: float
    end: float
    text: str


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def _groups(
    embeddings: np.ndarray, threshold: float, min_chunks: int, max_chunks: int
) -> list[list[int]]:
    """Index groups: greedy left-to-right merge, then a too-short tail joins its neighbour."""
    vectors = _unit(np.asarray(embeddings, dtype=np.float64))
    groups: list[list[int]] = []
    total = np.zeros(vectors.shape[1])
    for i, vector in enumerate(vectors):
        if groups:
            current = groups[-1]
            similarity = float(_unit(total) @ vector)
            too_short = len(current) < min_chunks
            if len(current) < max_chunks and (too_short or similarity >= threshold):
                current.append(i)
                total = total + vector
                continue
        groups.append([i])
        total = vector.copy()
    tail_short = len(groups) > 1 and len(groups[-1]) < min_chunks
    if tail_short and len(groups[-2]) + len(groups[-1]) <= max_chunks:
        groups[-2].extend(groups.pop())
    return groups


def segment_topics(
    chunk_ids: Sequence[int],
    starts: Sequence[float],
    ends: Sequence[float],
    texts: Sequence[str],
    embeddings: np.ndarray,
    *,
    threshold: float = 0.6,
    min_chunks: int = 1,
    max_chunks: int = 8,
) -> list[Topic]:
    """Topics over chunks given in time order (one embedding row per chunk).

    `min_chunks` forces a chunk into the running topic until it is that long (short
    topics make empty notebook sections); `max_chunks` always starts a new one.
    """
    count = len(chunk_ids)
    if not count == len(starts) == len(ends) == len(texts) == len(embeddings):
        raise ValueError("chunk_ids, starts, ends, texts and embeddings must have one row each")
    if not 1 <= min_chunks <= max_chunks:
        raise ValueError(f"need 1 <= min_chunks <= max_chunks, got {min_chunks}, {max_chunks}")
    if count == 0:
        return []
    return [
        Topic(
            topic_id=topic_id,
            chunk_ids=[int(chunk_ids[i]) for i in group],
            start=float(starts[group[0]]),
            end=float(ends[group[-1]]),
            text=" ".join(texts[i].strip() for i in group if texts[i].strip()),
        )
        for topic_id, group in enumerate(_groups(embeddings, threshold, min_chunks, max_chunks))
    ]


def topic_table(video_id: str, topics: Sequence[Topic]) -> pd.DataFrame:
    """The `topic_segments` table for one video."""
    if not topics:
        return empty_table("topic_segments")
    rows = [
        {
            "video_id": video_id,
            "topic_id": t.topic_id,
            "start": t.start,
            "end": t.end,
            "text": t.text,
            "chunk_ids": t.chunk_ids,
        }
        for t in topics
    ]
    return conform(pd.DataFrame(rows), "topic_segments")
