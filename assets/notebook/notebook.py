"""`notebook`: the Jupyter notebook that teaches the video, written by the LLM."""

import dagster as dg
import pandas as pd

from assets.common.batches import VideoTables, batch_metadata, model_stage
from assets.common.versions import CODE_VERSIONS
from assets.language.llm_calls import run_task, usage_metadata, video_seconds
from resources.language.llm import LLMResource
from resources.storage.media_store import MediaStore
from vid2learn_dagster.notebook.composition import compose_notebook
from vid2learn_dagster.notebook.materials import TopicMaterial, topic_materials
from vid2learn_dagster.notebook.prompts import NOTEBOOK, notebook_prompts
from vid2learn_dagster.notebook.rendering import (
    VideoSource,
    count_sections,
    notebook_outline,
    write_notebook,
)
from vid2learn_dagster.storage.tables import conform


@model_stage(
    kinds={"jupyter", "llm", "parquet"},
    group_name="notebook",
    code_version=CODE_VERSIONS["notebook"],
)
def notebook(
    source_video: VideoTables,
    chunks: VideoTables,
    rewritten_chunks: VideoTables,
    visual_descriptions: VideoTables,
    topic_segments: VideoTables,
    llm: LLMResource,
    media: MediaStore,
) -> dg.MaterializeResult:
    """An nbformat v4 notebook: introduction (abstract, audience, outcomes, roadmap), one
    section per topic (explanation, formulas, code cells, quiz with hidden answers, keyframe,
    timestamp link) and a conclusion. One batched LLM call for every video in the step:
    a JSON answer per topic and one per video for the introduction and conclusion.
    """
    materials: dict[str, list[TopicMaterial]] = {}
    for video, video_chunks in chunks.items():
        local_chunks = video_chunks.copy()
        local_chunks["image_path"] = [
            str(media.fetch(p, video)) if isinstance(p, str) and p else None
            for p in local_chunks["image_path"]
        ]
        materials[video] = topic_materials(
            topic_segments[video], local_chunks, rewritten_chunks[video], visual_descriptions[video]
        )
    prompts = {video: notebook_prompts(m) for video, m in materials.items()}
    result = run_task(llm, NOTEBOOK, {v: list(p.values()) for v, p in prompts.items()})
    tokens, step = usage_metadata(result, {v: video_seconds(source_video[v]) for v in materials})

    tables, metadata = {}, {}
    for video, video_materials in materials.items():
        source = VideoSource.from_record(source_video[video].iloc[0])
        composed = compose_notebook(
            source, video_materials, dict(zip(prompts[video], result.answers[video], strict=True))
        )
        nb = composed.render()
        path = media.workdir(video) / f"{video}.ipynb"
        write_notebook(nb, path)
        row = {
            "video_id": video,
            "title": source.title,
            "notebook_path": media.publish(path, video),
            "sections": count_sections(nb),
            "cells": len(nb.cells),
            "quizzes": composed.quizzes,
            "code_cells": composed.code_cells,
            "model": llm.model_id,
        }
        tables[video] = conform(pd.DataFrame([row]), "notebook")
        metadata[video] = {
            "notebook_path": dg.MetadataValue.path(row["notebook_path"]),
            "sections": row["sections"],
            "cells": row["cells"],
            "quizzes": composed.quizzes,
            "code_cells": composed.code_cells,
            **tokens[video],
            "outline": dg.MetadataValue.md(notebook_outline(nb)),
        }
    return dg.MaterializeResult(
        value=tables,
        metadata=batch_metadata(metadata, {"model": llm.model_id, **step}),
    )
