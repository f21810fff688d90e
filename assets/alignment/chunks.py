"""`chunks`: speech aligned to keyframes."""

import dagster as dg
import pandas as pd

from assets.common.stage import markdown_preview, videos_partitions
from vid2learn_dagster.alignment import chunking
from vid2learn_dagster.alignment.chunking import align_chunks
from vid2learn_dagster.common.lineage import code_version


@dg.asset(
    partitions_def=videos_partitions,
    kinds={"python", "parquet"},
    group_name="vision",
    code_version=code_version(chunking),
)
def chunks(
    context: dg.AssetExecutionContext,
    transcript_segments: pd.DataFrame,
    keyframes: pd.DataFrame,
) -> dg.MaterializeResult:
    """Each transcript segment attached to the keyframe nearest its midpoint; runs of one
    keyframe and one speaker merged (a speaker change starts a new chunk)."""
    table = align_chunks(context.partition_key, transcript_segments, keyframes)
    silent = int((table["text"].str.len() == 0).sum()) if len(table) else 0
    return dg.MaterializeResult(
        value=table,
        metadata={
            "chunks": len(table),
            "chunks_without_speech": silent,
            "speakers": int(table["speaker"].nunique()),
            "preview": markdown_preview(
                table, ["chunk_id", "scene", "start", "end", "speaker", "text"]
            ),
        },
    )
