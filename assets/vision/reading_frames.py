"""`reading_frames`: every distinct picture of each scene, the frames the vision stage reads."""

import dagster as dg
import pandas as pd

from assets.common.stage import markdown_preview, videos_partitions
from resources.storage.media_store import MediaStore
from vid2learn_dagster.common.lineage import code_version
from vid2learn_dagster.vision import reading_frames as reading
from vid2learn_dagster.vision.reading_frames import distinct_frames


@dg.asset(
    partitions_def=videos_partitions,
    kinds={"opencv", "parquet"},
    group_name="vision",
    code_version=code_version(reading),
)
def reading_frames(
    context: dg.AssetExecutionContext,
    source_video: pd.DataFrame,
    keyframes: pd.DataFrame,
    media: MediaStore,
) -> dg.MaterializeResult:
    """Per scene its keyframe, then each sample (every 2 s of each build step) showing what
    no kept frame of the scene shows: what appears during a scene is read (issue 11)."""
    video_id = context.partition_key
    local = keyframes.assign(
        image_path=[str(media.fetch(p, video_id)) for p in keyframes["image_path"]]
    )
    table = distinct_frames(
        media.fetch(source_video["video_path"].iloc[0], video_id),
        local,
        media.workdir(video_id) / "keyframes",
        video_id,
    )
    published = dict(zip(local["image_path"].astype(str), keyframes["image_path"], strict=True))
    table["image_path"] = [
        published.get(p) or media.publish_path(p, video_id) for p in table["image_path"]
    ]
    context.log.info(f"{video_id}: {len(table)} frames to read in {len(keyframes)} scenes")
    return dg.MaterializeResult(
        value=table,
        metadata={
            "frames": len(table),
            "beyond_keyframes": int((table["frame"] > 0).sum()),
            "preview": markdown_preview(table, ["scene", "frame", "time", "image_path"]),
        },
    )
