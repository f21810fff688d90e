"""`notebook`, `notebook_sections` and `video_summary`: the Jupyter notebook that teaches the
video, one row per section saying what it teaches and which chunks support it, and the
video in a few lines. One step makes all three from one batched LLM call, so the tables
always describe the notebook beside them."""

import dagster as dg
import pandas as pd

from assets.common.batches import BATCH_POLICY, VideoTables, batch_metadata
from assets.common.outputs import table_out
from assets.common.stage import MODEL_RETRY, markdown_preview, videos_partitions
from assets.common.versions import CODE_VERSIONS
from assets.language.llm_calls import run_task, usage_metadata, video_seconds
from resources.language.llm import LLMResource
from resources.storage.media_store import MediaStore
from vid2learn_dagster.notebook.composition import compose_notebook
from vid2learn_dagster.notebook.materials import SectionMaterial, section_materials
from vid2learn_dagster.notebook.prompts import NOTEBOOK, notebook_prompts
from vid2learn_dagster.notebook.rendering import (
    VideoSource,
    count_sections,
    notebook_outline,
    write_notebook,
)
from vid2learn_dagster.storage.tables import conform


def _language(transcript_segments: pd.DataFrame) -> str:
    languages = transcript_segments["language"].dropna()
    return str(languages.iloc[0]) if len(languages) else "en"


@dg.multi_asset(
    outs={
        "notebook": table_out(
            "notebook",
            CODE_VERSIONS["notebook"],
            "An nbformat v4 notebook: introduction (abstract, audience, outcomes, roadmap), "
            "one section per slide title (or topic shift where slides are few) with "
            "explanation, key points, formulas, code cells, a multiple-choice quiz with "
            "hidden answers, keyframe and timestamp link; a glossary and a conclusion.",
            kinds=frozenset({"jupyter", "llm"}),
        ),
        "notebook_sections": table_out(
            "notebook",
            CODE_VERSIONS["notebook"],
            "One row per notebook section: title, time span, the chunks that support it, its "
            "teaching text, code cells and quiz, and how many of the model's sentences the "
            "lecture supported.",
        ),
        "video_summary": table_out(
            "notebook",
            CODE_VERSIONS["notebook"],
            "The video in a few lines: abstract, 5-10 keywords and hashtags, and five "
            "suggested questions, each with its answer and the moments that support it.",
        ),
    },
    partitions_def=videos_partitions,
    backfill_policy=BATCH_POLICY,
    pool="gpu",
    retry_policy=MODEL_RETRY,
)
def notebook(
    source_video: VideoTables,
    transcript_segments: VideoTables,
    transcript_words: VideoTables,
    term_corrections: VideoTables,
    chunks: VideoTables,
    rewritten_chunks: VideoTables,
    blended_chunks: VideoTables,
    visual_descriptions: VideoTables,
    topic_segments: VideoTables,
    llm: LLMResource,
    media: MediaStore,
):
    """One batched LLM call for every video in the step: a JSON answer per section and one
    per video for the introduction and conclusion; then each video's notebook is written
    and its sections recorded."""
    materials: dict[str, list[SectionMaterial]] = {}
    for video, video_chunks in chunks.items():
        local_chunks = video_chunks.copy()
        local_chunks["image_path"] = [
            str(media.fetch(p, video)) if isinstance(p, str) and p else None
            for p in local_chunks["image_path"]
        ]
        materials[video] = section_materials(
            topic_segments[video],
            local_chunks,
            blended_chunks[video],
            rewritten_chunks[video],
            visual_descriptions[video],
            transcript_words[video],
            term_corrections[video],
            language=_language(transcript_segments[video]),
        )
    prompts = {
        video: notebook_prompts(m, _language(transcript_segments[video]))
        for video, m in materials.items()
    }
    result = run_task(llm, NOTEBOOK, {v: list(p.values()) for v, p in prompts.items()})
    tokens, step = usage_metadata(result, {v: video_seconds(source_video[v]) for v in materials})

    notebooks, sections, summaries = {}, {}, {}
    metadata, section_metadata, summary_metadata = {}, {}, {}
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
        notebooks[video] = conform(pd.DataFrame([row]), "notebook")
        sections[video] = conform(composed.sections_table(), "notebook_sections")
        summaries[video] = conform(composed.summary.table(), "video_summary")
        summary_metadata[video] = {
            "keywords": ", ".join(composed.summary.keywords),
            "questions": len(composed.summary.questions),
        }
        written = int(sections[video]["model_sentences"].sum())
        kept = int(sections[video]["kept_sentences"].sum())
        metadata[video] = {
            "notebook_path": dg.MetadataValue.path(row["notebook_path"]),
            "sections": row["sections"],
            "cells": row["cells"],
            "quizzes": composed.quizzes,
            "code_cells": composed.code_cells,
            **tokens[video],
            "outline": dg.MetadataValue.md(notebook_outline(nb)),
        }
        section_metadata[video] = {
            "sections": row["sections"],
            # The faithfulness filter's work: model sentences written and kept (issue 12).
            "model_sentences": written,
            "kept_sentences": kept,
            "preview": markdown_preview(sections[video], ["section", "title", "start", "end"]),
        }
    yield dg.MaterializeResult(
        asset_key="notebook",
        value=notebooks,
        metadata=batch_metadata(metadata, {"model": llm.model_id, **step}),
    )
    yield dg.MaterializeResult(
        asset_key="notebook_sections", value=sections, metadata=batch_metadata(section_metadata)
    )
    yield dg.MaterializeResult(
        asset_key="video_summary", value=summaries, metadata=batch_metadata(summary_metadata)
    )
