"""What every stage asset shares: the partitioning, retry policies and metadata helpers."""

import os

import dagster as dg
import pandas as pd

from vid2learn_dagster.partitions import videos_partitions

__all__ = ["MODEL_RETRY", "NETWORK_RETRY", "markdown_preview", "videos_partitions"]

# Network hiccups (connection reset, 5xx, 429) are worth retrying with backoff;
# permanent failures (404, not a video) raise dg.Failure(allow_retries=False) instead.
# The base delay is an environment setting so tests of failing URLs stay fast.
RETRY_DELAY_S = float(os.environ.get("VID2LEARN_RETRY_DELAY_S", "5"))
NETWORK_RETRY = dg.RetryPolicy(
    max_retries=3, delay=RETRY_DELAY_S, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
# Loading a model can fail transiently (a busy GPU, a slow shared filesystem).
MODEL_RETRY = dg.RetryPolicy(max_retries=1, delay=10)


def markdown_preview(df: pd.DataFrame, columns: list[str], rows: int = 8) -> dg.MetadataValue:
    """The head of a table as markdown, for the asset's page in the UI."""
    if df.empty:
        return dg.MetadataValue.md("_(empty)_")
    head = df[columns].head(rows).copy()
    for col in head.columns:
        if head[col].dtype.kind == "f":
            head[col] = head[col].round(2)
    return dg.MetadataValue.md(head.to_markdown(index=False))
