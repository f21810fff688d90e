"""`visual_descriptions`: what each keyframe shows (text, code), from the vision resource."""

import dagster as dg
import pandas as pd

from assets.common import MODEL_RETRY, markdown_preview, videos_partitions
from assets.versions import CODE_VERSIONS
from resources.media_store import MediaStore
from resources.vision import VisionResource
from vid2learn_dagster.visual import description_table


@dg.asset(
    partitions_def=videos_partitions,
    pool="gpu",
    retry_policy=MODEL_RETRY,
    kinds={"vision", "parquet"},
    group_name="vision",
    code_version=CODE_VERSIONS["visual_descriptions"],
)
def visual_descriptions(
    context: dg.AssetExecutionContext,
    keyframes: pd.DataFrame,
    vision: VisionResource,
    media: MediaStore,
) -> dg.MaterializeResult:
    """One row per keyframe: description, on-screen text, whether it shows code, the code.

    All of a video's keyframes go to the vision model in one batch.
    """
    video_id = context.partition_key
    images = [media.fetch(p, video_id) for p in keyframes["image_path"]]
    table = description_table(video_id, keyframes, vision.describe(images))
    return dg.MaterializeResult(
        value=table,
        metadata={
            "keyframes": len(table),
            "with_code": int(table["has_code"].sum()),
            "model": vision.model_id,
            "preview": markdown_preview(table, ["scene", "time", "description", "has_code"]),
        },
    )
