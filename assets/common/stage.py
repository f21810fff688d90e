"""What every stage asset shares: the partitioning, retry policies and metadata helpers."""

import contextlib
from collections.abc import Iterator

import dagster as dg
import pandas as pd

from vid2learn_dagster.app.partitions import videos_partitions
from vid2learn_dagster.common.errors import ModelLoadError
from vid2learn_dagster.common.settings import settings

__all__ = [
    "MODEL_RETRY",
    "NETWORK_RETRY",
    "config_defaults",
    "markdown_preview",
    "model_errors",
    "videos_partitions",
]

# Network hiccups (connection reset, 5xx, 429) are worth retrying with backoff;
# permanent failures (404, not a video) raise dg.Failure(allow_retries=False) instead.
# The base delay is an environment setting so tests of failing URLs stay fast.
RETRY_DELAY_S = settings().retry_delay_s
NETWORK_RETRY = dg.RetryPolicy(
    max_retries=3, delay=RETRY_DELAY_S, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
# Loading a model can fail transiently (GPU memory still held by a finished run, a slow
# shared filesystem, a model server still starting): retry with backoff, 10 s then 20 s.
MODEL_RETRY = dg.RetryPolicy(
    max_retries=2,
    delay=2 * RETRY_DELAY_S,
    backoff=dg.Backoff.EXPONENTIAL,
    jitter=dg.Jitter.PLUS_MINUS,
)


@contextlib.contextmanager
def model_errors(context: dg.AssetExecutionContext) -> Iterator[None]:
    """Around a model call in a MODEL_RETRY asset: a missing package fails at once (no
    retry can install it); a load failure is retried, and the last attempt fails with the
    cause instead of Dagster's bare "exceeded max_retries"."""
    try:
        yield
    except ImportError as err:
        raise dg.Failure(str(err), allow_retries=False) from err
    except ModelLoadError as err:
        if context.retry_number >= MODEL_RETRY.max_retries:
            attempts = context.retry_number + 1
            raise dg.Failure(
                f"{err} (gave up after {attempts} attempts)", allow_retries=False
            ) from err
        raise


def config_defaults(config: type[dg.Config]) -> dict[str, object]:
    """A run config class's defaults, for a code version (a changed default re-runs the stage)."""
    return {name: field.default for name, field in config.model_fields.items()}


def markdown_preview(df: pd.DataFrame, columns: list[str], rows: int = 8) -> dg.MetadataValue:
    """The head of a table as markdown, for the asset's page in the UI."""
    if df.empty:
        return dg.MetadataValue.md("_(empty)_")
    head = df[columns].head(rows).copy()
    for col in head.columns:
        if head[col].dtype.kind == "f":
            head[col] = head[col].round(2)
    return dg.MetadataValue.md(head.to_markdown(index=False))
