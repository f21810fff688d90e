"""`chunks`: speech aligned to keyframes."""

import dagster as dg
import pandas as pd

from assets.common import markdown_preview, videos_partitions
from vid2learn_dagster.chunking import align_chunks


@dg.asset(
    partitions_def=videos_partitions,
    kinds={"python", "parquet"},
    group_name="vision",
    code_version="1",
)
def chunks(
    context: dg.AssetExecutionContext,
    transcript_segments: pd.DataFrame,
    keyframes: pd.DataFrame,
) -> dg.MaterializeResult:
    """Each transcript segment attached to the keyframe nearest its midpoint; runs merged."""
    table = align_chunks(context.partition_key, transcript_segments, keyframes)
    silent = int((table["text"].str.len() == 0).sum()) if len(table) else 0
    return dg.MaterializeResult(
        value=table,
        metadata={
            "chunks": len(table),
            "chunks_without_speech": silent,
            "preview": markdown_preview(table, ["chunk_id", "scene", "start", "end", "text"]),
        },
    )
