"""The model stages' shared wiring: each step takes one video or a batch of neighbouring videos.

A run over one partition gives each input as `{video_id: table}` with one entry; a backfill
(or `vid2learn run` with several videos) runs these stages over a partition range, up to
`VIDEOS_PER_RUN` videos, so the model is loaded once and sees every video's prompts in one
batched call. The IO manager loads inputs typed `VideoTables` as such dicts and writes a
returned dict as one Parquet file per video (`resources/storage/parquet_io.py`).
"""

from collections.abc import Callable, Mapping

import dagster as dg
import pandas as pd

from assets.common.stage import MODEL_RETRY, videos_partitions
from vid2learn_dagster.common.batching import VIDEOS_PER_RUN

VideoTables = dict[str, pd.DataFrame]
"""One table per video, keyed by partition key (video ID)."""

BATCH_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=VIDEOS_PER_RUN)


def model_stage(**asset_kwargs) -> Callable[..., dg.AssetsDefinition]:
    """`dg.asset` for a model stage: partitioned by video, batched backfills, the `gpu` pool
    (one model step at a time on a GPU: dagster.yaml), retried when a model load fails."""
    return dg.asset(
        partitions_def=videos_partitions,
        backfill_policy=BATCH_POLICY,
        pool="gpu",
        retry_policy=MODEL_RETRY,
        **asset_kwargs,
    )


def batch_metadata(
    per_video: Mapping[str, Mapping[str, object]], step: Mapping[str, object] | None = None
) -> dict[str, object]:
    """One step's metadata from each video's, plus `step`'s (the batched call's token
    counts, say), which are the whole step's. A single video's are kept as they are.

    Dagster copies a step's metadata onto every partition it materializes, so for a batch
    each number goes in a table with a row per video, values all videos share stay plain,
    and everything else becomes a markdown section per video.
    """
    if len(per_video) == 1:
        return {**next(iter(per_video.values())), **(step or {})}
    merged: dict[str, object] = {"batch_videos": len(per_video), **(step or {})}
    numbers: dict[str, dict[str, object]] = {video: {} for video in per_video}
    names = dict.fromkeys(name for metadata in per_video.values() for name in metadata)
    for name in names:
        values = {video: m[name] for video, m in per_video.items() if name in m}
        plain = list(values.values())
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in plain):
            for video, value in values.items():
                numbers[video][name] = value
        elif (
            len(values) == len(per_video)
            and all(isinstance(v, str) for v in plain)
            and len(set(plain)) == 1
        ):
            merged[name] = plain[0]
        else:
            merged[name] = dg.MetadataValue.md(
                "\n\n".join(f"**{video}**\n\n{_as_text(v)}" for video, v in values.items())
            )
    table = pd.DataFrame.from_dict(numbers, orient="index").rename_axis("video").reset_index()
    merged["by_video"] = dg.MetadataValue.md(table.to_markdown(index=False))
    return merged


def _as_text(value: object) -> str:
    if isinstance(value, dg.MetadataValue):
        return str(value.value)
    return str(value)
