"""`topic_segments`: consecutive slides merged while they stay on one subject."""

import dagster as dg
import numpy as np
import pandas as pd

from assets.common import MODEL_RETRY, markdown_preview, videos_partitions
from assets.versions import CODE_VERSIONS, TOPIC_DEFAULTS
from resources.embedder import EmbedderResource
from vid2learn_dagster.segmenting import segment_slides
from vid2learn_dagster.topics import topic_table


class TopicSegmentsConfig(dg.Config):
    """Cosine-similarity threshold to the running topic's mean, and topic lengths in slides
    (a slide's chunks always stay together: `vid2learn_dagster.segmenting`)."""

    threshold: float = TOPIC_DEFAULTS["threshold"]
    min_slides: int = TOPIC_DEFAULTS["min_slides"]
    max_slides: int = TOPIC_DEFAULTS["max_slides"]


@dg.asset(
    partitions_def=videos_partitions,
    pool="gpu",
    retry_policy=MODEL_RETRY,
    kinds={"sentencetransformers", "parquet"},
    group_name="language",
    code_version=CODE_VERSIONS["topic_segments"],
)
def topic_segments(
    context: dg.AssetExecutionContext,
    config: TopicSegmentsConfig,
    blended_chunks: pd.DataFrame,
    chunks: pd.DataFrame,
    embedder: EmbedderResource,
) -> dg.MaterializeResult:
    """Topics: runs of slides whose blended texts' embeddings stay close to the topic's mean."""
    topics, vectors = segment_slides(
        blended_chunks,
        chunks,
        embedder.embed,
        threshold=config.threshold,
        min_slides=config.min_slides,
        max_slides=config.max_slides,
    )
    table = topic_table(context.partition_key, topics)
    # Neighbouring slides' similarities: what to look at when tuning the threshold.
    neighbours = np.sum(vectors[1:] * vectors[:-1], axis=1) if len(vectors) > 1 else []
    return dg.MaterializeResult(
        value=table,
        metadata={
            "topics": len(table),
            "chunks": len(blended_chunks),
            "slides": len(vectors),
            "threshold": config.threshold,
            "neighbour_similarity": ", ".join(f"{s:.2f}" for s in neighbours),
            "model": embedder.model_id,
            "preview": markdown_preview(table, ["topic_id", "start", "end", "text"]),
        },
    )
