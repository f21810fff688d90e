"""`notebook`: the Jupyter notebook that teaches the video, written by the LLM."""

import dagster as dg
import pandas as pd

from assets.common import MODEL_RETRY, videos_partitions
from assets.llm_calls import run_task
from assets.versions import CODE_VERSIONS
from resources.llm import LLMResource
from resources.media_store import MediaStore
from vid2learn_dagster.notebook import (
    VideoSource,
    count_sections,
    notebook_outline,
    render_notebook,
    write_notebook,
)
from vid2learn_dagster.tables import conform
from vid2learn_dagster.teaching import (
    QUIZ,
    TEXT,
    compose_notebook,
    notebook_prompts,
    topic_materials,
)


@dg.asset(
    partitions_def=videos_partitions,
    pool="gpu",
    retry_policy=MODEL_RETRY,
    kinds={"jupyter", "llm", "parquet"},
    group_name="notebook",
    code_version=CODE_VERSIONS["notebook"],
)
def notebook(
    context: dg.AssetExecutionContext,
    source_video: pd.DataFrame,
    chunks: pd.DataFrame,
    rewritten_chunks: pd.DataFrame,
    visual_descriptions: pd.DataFrame,
    topic_segments: pd.DataFrame,
    llm: LLMResource,
    media: MediaStore,
) -> dg.MaterializeResult:
    """An nbformat v4 notebook: introduction (abstract, audience, outcomes, roadmap), one
    section per topic (explanation, formulas, code cells, quiz with hidden answers, keyframe,
    timestamp link) and a conclusion. Two batched LLM calls: free text, then quizzes (JSON).
    """
    video_id = context.partition_key
    local_chunks = chunks.copy()
    local_chunks["image_path"] = [
        str(media.fetch(p, video_id)) if isinstance(p, str) and p else None
        for p in local_chunks["image_path"]
    ]
    materials = topic_materials(topic_segments, local_chunks, rewritten_chunks, visual_descriptions)
    prompts = notebook_prompts(materials)
    texts, text_usage = run_task(llm, TEXT, list(prompts.text.values()))
    quizzes, quiz_usage = run_task(llm, QUIZ, list(prompts.quiz.values()))
    source = VideoSource.from_record(source_video.iloc[0])
    composed = compose_notebook(
        source,
        materials,
        dict(zip(prompts.text, texts, strict=True)),
        dict(zip(prompts.quiz, quizzes, strict=True)),
    )
    nb = render_notebook(
        source,
        composed.sections,
        intro_markdown=composed.intro_markdown,
        conclusion_markdown=composed.conclusion_markdown,
    )
    path = media.workdir(video_id) / f"{video_id}.ipynb"
    write_notebook(nb, path)
    sections = count_sections(nb)
    row = {
        "video_id": video_id,
        "title": source.title,
        "notebook_path": media.publish(path, video_id),
        "sections": sections,
        "cells": len(nb.cells),
        "quizzes": composed.quizzes,
        "code_cells": composed.code_cells,
        "model": llm.model_id,
    }
    return dg.MaterializeResult(
        value=conform(pd.DataFrame([row]), "notebook"),
        metadata={
            "notebook_path": dg.MetadataValue.path(row["notebook_path"]),
            "sections": sections,
            "cells": len(nb.cells),
            "quizzes": composed.quizzes,
            "code_cells": composed.code_cells,
            "model": llm.model_id,
            "prompts": text_usage["prompts"] + quiz_usage["prompts"],
            "completion_tokens": text_usage["completion_tokens"] + quiz_usage["completion_tokens"],
            "outline": dg.MetadataValue.md(notebook_outline(nb)),
        },
    )
