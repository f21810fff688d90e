"""`rewritten_chunks` and `blended_chunks`: each chunk's speech cleaned, then blended with
its slide, every chunk of a video in one batched LLM call per stage."""

import dagster as dg
import pandas as pd

from assets.common import MODEL_RETRY, markdown_preview, videos_partitions
from assets.llm_calls import run_task
from assets.versions import CODE_VERSIONS
from resources.llm import LLMResource
from vid2learn_dagster.rewriting import (
    BLEND,
    REWRITE,
    blend_prompts,
    blended_table,
    rewrite_prompts,
    rewritten_table,
)

_COLUMNS = ["chunk_id", "start", "end", "text"]


def _metadata(table: pd.DataFrame, before: pd.Series, usage: dict, model: str) -> dict:
    """Counts, how many model answers survived the grounding check, and a preview."""
    changed = int((table["text"].to_numpy() != before.fillna("").to_numpy()).sum())
    return {
        "chunks": len(table),
        "model": model,
        **usage,
        "model_text_kept": changed,
        "preview": markdown_preview(table, _COLUMNS),
    }


@dg.asset(
    partitions_def=videos_partitions,
    pool="gpu",
    retry_policy=MODEL_RETRY,
    kinds={"llm", "parquet"},
    group_name="language",
    code_version=CODE_VERSIONS["rewritten_chunks"],
)
def rewritten_chunks(
    context: dg.AssetExecutionContext, chunks: pd.DataFrame, llm: LLMResource
) -> dg.MaterializeResult:
    """Each chunk's speech without fillers, false starts and ASR slips, adding no facts.

    Sentences the speech does not support are dropped; where too little is left, the
    chunk keeps its original speech. Chunks without speech skip the model.
    """
    answers, usage = run_task(llm, REWRITE, rewrite_prompts(chunks))
    table = rewritten_table(context.partition_key, chunks, answers, llm.model_id)
    return dg.MaterializeResult(
        value=table, metadata=_metadata(table, chunks["text"], usage, llm.model_id)
    )


@dg.asset(
    partitions_def=videos_partitions,
    pool="gpu",
    retry_policy=MODEL_RETRY,
    kinds={"llm", "parquet"},
    group_name="language",
    code_version=CODE_VERSIONS["blended_chunks"],
)
def blended_chunks(
    context: dg.AssetExecutionContext,
    rewritten_chunks: pd.DataFrame,
    chunks: pd.DataFrame,
    visual_descriptions: pd.DataFrame,
    llm: LLMResource,
) -> dg.MaterializeResult:
    """One explanatory text per chunk from its cleaned speech and its keyframe's description.

    Falls back to the speech followed by the slide's text when the model's answer drops
    the speech or is not supported by speech and slide.
    """
    prompts = blend_prompts(rewritten_chunks, chunks, visual_descriptions)
    answers, usage = run_task(llm, BLEND, prompts)
    table = blended_table(
        context.partition_key, rewritten_chunks, chunks, visual_descriptions, answers, llm.model_id
    )
    return dg.MaterializeResult(
        value=table, metadata=_metadata(table, rewritten_chunks["text"], usage, llm.model_id)
    )
