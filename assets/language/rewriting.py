"""`rewritten_chunks` and `blended_chunks`: each chunk's speech cleaned, then each slide's
points added; every prompt of every video in the step goes out in one batched LLM call."""

import dagster as dg

from assets.common.batches import VideoTables, batch_metadata, model_stage
from assets.common.stage import markdown_preview
from assets.common.versions import CODE_VERSIONS
from assets.language.llm_calls import TaskResult, run_task, usage_metadata, video_seconds
from resources.language.llm import LLMResource
from vid2learn_dagster.alignment.term_correction import corrected_chunks
from vid2learn_dagster.language.rewriting import (
    BLEND,
    REWRITE,
    blend_prompts,
    blended_table,
    rewrite_prompts,
    rewritten_table,
)

_COLUMNS = ["chunk_id", "start", "end", "text"]


def _result(
    tables: VideoTables,
    before: VideoTables,
    source_video: VideoTables,
    llm: LLMResource,
    result: TaskResult,
) -> dg.MaterializeResult:
    """The step's tables with, per video, counts, how many model answers survived the
    grounding check (the chunks whose text differs from `before`), the LLM tokens per
    video minute (issue 9) and a preview."""
    tokens, step = usage_metadata(result, {v: video_seconds(source_video[v]) for v in tables})
    per_video = {}
    for video, table in tables.items():
        original = before[video]["text"].fillna("").to_numpy()
        per_video[video] = {
            "chunks": len(table),
            "model_text_kept": int((table["text"].to_numpy() != original).sum()),
            **tokens[video],
            "preview": markdown_preview(table, _COLUMNS),
        }
    return dg.MaterializeResult(
        value=tables, metadata=batch_metadata(per_video, {"model": llm.model_id, **step})
    )


@model_stage(
    kinds={"llm", "parquet"},
    group_name="language",
    code_version=CODE_VERSIONS["rewritten_chunks"],
)
def rewritten_chunks(
    chunks: VideoTables,
    transcript_words: VideoTables,
    term_corrections: VideoTables,
    source_video: VideoTables,
    llm: LLMResource,
) -> dg.MaterializeResult:
    """Each chunk's speech, with the screen's terms corrected (`term_corrections`), without
    fillers, false starts and ASR slips, adding no facts.

    Sentences the speech does not support are dropped; where too little is left, the
    chunk keeps its original speech. Chunks without speech skip the model.
    """
    chunks = {
        video: corrected_chunks(table, transcript_words[video], term_corrections[video])
        for video, table in chunks.items()
    }
    result = run_task(
        llm, REWRITE, {video: rewrite_prompts(table) for video, table in chunks.items()}
    )
    tables = {
        video: rewritten_table(video, table, result.answers[video], llm.model_id)
        for video, table in chunks.items()
    }
    return _result(tables, chunks, source_video, llm, result)


@model_stage(
    kinds={"llm", "parquet"},
    group_name="language",
    code_version=CODE_VERSIONS["blended_chunks"],
)
def blended_chunks(
    rewritten_chunks: VideoTables,
    chunks: VideoTables,
    visual_descriptions: VideoTables,
    source_video: VideoTables,
    llm: LLMResource,
) -> dg.MaterializeResult:
    """One explanatory text per chunk: its cleaned speech and, at a slide's first chunk,
    one sentence stating the points that slide shows and the speech does not say.

    The sentence falls back to the points as written ("On screen: ...") when the model's
    answer is not supported by the slide; a slide that adds nothing costs no model call.
    """
    inputs = {
        video: (rewritten, chunks[video], visual_descriptions[video])
        for video, rewritten in rewritten_chunks.items()
    }
    result = run_task(
        llm, BLEND, {video: blend_prompts(*tables) for video, tables in inputs.items()}
    )
    tables = {
        video: blended_table(video, *tables, result.answers[video], llm.model_id)
        for video, tables in inputs.items()
    }
    return _result(tables, rewritten_chunks, source_video, llm, result)
