"""Topic segmentation over slides: the chunks of one slide always stay in one topic.

Chunks split a slide's speech at every speaker change (diarization), so a student's
question becomes its own chunk; segmenting those chunks by embedding gave the sample
lecture 9 topics for 6 slides, three of them one-sentence sections on one slide. A
slide is the smallest unit a lecturer presents, so consecutive chunks of one scene form
one unit (its texts joined), units are segmented with `topics.segment_topics`, and each
topic lists its chunks again. Chunks without a keyframe (a video without cuts) are
units on their own, and a long slide is cut every `MAX_UNIT_CHUNKS` chunks so one
topic stays within a small model's prompt.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from vid2learn_dagster.alignment.chunking import NO_SCENE
from vid2learn_dagster.topics.similarity import Topic, segment_topics

MAX_UNIT_CHUNKS = 8


def slide_units(blended: pd.DataFrame, chunks: pd.DataFrame) -> list[list[int]]:
    """Row positions of `blended` (in time order) grouped into slide units."""
    scene = dict(zip(chunks["chunk_id"].astype(int), chunks["scene"].astype(int), strict=True))
    units: list[list[int]] = []
    previous = None
    for position, chunk_id in enumerate(blended["chunk_id"].astype(int)):
        current = scene.get(chunk_id, NO_SCENE)
        joins = units and current == previous and current != NO_SCENE
        if joins and len(units[-1]) < MAX_UNIT_CHUNKS:
            units[-1].append(position)
        else:
            units.append([position])
        previous = current
    return units


def segment_slides(
    blended: pd.DataFrame,
    chunks: pd.DataFrame,
    embed: Callable[[list[str]], np.ndarray],
    *,
    threshold: float,
    min_slides: int,
    max_slides: int,
) -> tuple[list[Topic], np.ndarray]:
    """Topics over the blended chunks, and the units' embeddings (for tuning metadata)."""
    ordered = blended.sort_values(["start", "chunk_id"], kind="stable").reset_index(drop=True)
    units = slide_units(ordered, chunks)
    texts = ordered["text"].fillna("").str.strip().tolist()
    unit_texts = [" ".join(texts[i] for i in unit if texts[i]) for unit in units]
    vectors = embed(unit_texts)
    unit_topics = segment_topics(
        list(range(len(units))),
        [float(ordered["start"][unit[0]]) for unit in units],
        [float(ordered["end"][unit[-1]]) for unit in units],
        unit_texts,
        vectors,
        threshold=threshold,
        min_chunks=min_slides,
        max_chunks=max_slides,
    )
    topics = [
        Topic(
            topic_id=t.topic_id,
            chunk_ids=[int(ordered["chunk_id"][i]) for u in t.chunk_ids for i in units[u]],
            start=t.start,
            end=t.end,
            text=t.text,
        )
        for t in unit_topics
    ]
    return topics, vectors
