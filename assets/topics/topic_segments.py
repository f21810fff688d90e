"""`topic_segments`: consecutive slides merged while they stay on one subject."""

import dagster as dg
import numpy as np

from assets.common.batches import VideoTables, batch_metadata, model_stage
from assets.common.stage import markdown_preview
from assets.common.versions import CODE_VERSIONS, TOPIC_DEFAULTS
from resources.topics.embedder import EmbedderResource
from vid2learn_dagster.topics.segmenting import segment_slides
from vid2learn_dagster.topics.similarity import topic_table


class TopicSegmentsConfig(dg.Config):
    """Cosine-similarity threshold to the running topic's mean, and topic lengths in slides
    (a slide's chunks always stay together: `vid2learn_dagster.topics.segmenting`)."""

    threshold: float = TOPIC_DEFAULTS["threshold"]
    min_slides: int = TOPIC_DEFAULTS["min_slides"]
    max_slides: int = TOPIC_DEFAULTS["max_slides"]


@model_stage(
    kinds={"sentencetransformers", "parquet"},
    group_name="language",
    code_version=CODE_VERSIONS["topic_segments"],
)
def topic_segments(
    config: TopicSegmentsConfig,
    blended_chunks: VideoTables,
    chunks: VideoTables,
    embedder: EmbedderResource,
) -> dg.MaterializeResult:
    """Topics: runs of slides whose blended texts' embeddings stay close to the topic's mean.

    Videos are segmented one after another (a lecture's slides are few; the model is
    loaded once for the step).
    """
    tables, metadata = {}, {}
    for video, blended in blended_chunks.items():
        topics, vectors = segment_slides(
            blended,
            chunks[video],
            embedder.embed,
            threshold=config.threshold,
            min_slides=config.min_slides,
            max_slides=config.max_slides,
        )
        tables[video] = topic_table(video, topics)
        # Neighbouring slides' similarities: what to look at when tuning the threshold.
        neighbours = np.sum(vectors[1:] * vectors[:-1], axis=1) if len(vectors) > 1 else []
        metadata[video] = {
            "topics": len(tables[video]),
            "chunks": len(blended),
            "slides": len(vectors),
            "neighbour_similarity": ", ".join(f"{s:.2f}" for s in neighbours),
            "preview": markdown_preview(tables[video], ["topic_id", "start", "end", "text"]),
        }
    return dg.MaterializeResult(
        value=tables,
        metadata=batch_metadata(
            metadata, {"threshold": config.threshold, "model": embedder.model_id}
        ),
    )
