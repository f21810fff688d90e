"""`visual_descriptions`: what each keyframe shows (text, code), from the vision resource."""

import dagster as dg

from assets.common.batches import VideoTables, batch_metadata, model_stage
from assets.common.stage import markdown_preview
from assets.common.versions import CODE_VERSIONS
from resources.storage.media_store import MediaStore
from resources.vision.reader import VisionResource
from vid2learn_dagster.common.batching import call_batched
from vid2learn_dagster.vision.descriptions import scene_descriptions


@model_stage(
    kinds={"vision", "parquet"},
    group_name="vision",
    code_version=CODE_VERSIONS["visual_descriptions"],
)
def visual_descriptions(
    reading_frames: VideoTables, vision: VisionResource, media: MediaStore
) -> dg.MaterializeResult:
    """One row per scene: description, on-screen text, whether it shows code, the code,
    read from every frame of the scene in `reading_frames` (its keyframe's first).

    The frames of every video in the step go to the vision model in one batch.
    """
    images = {
        video: [media.fetch(path, video) for path in frames["image_path"]]
        for video, frames in reading_frames.items()
    }
    described = call_batched(images, vision.describe)
    tables = {
        video: scene_descriptions(video, frames, described[video])
        for video, frames in reading_frames.items()
    }
    return dg.MaterializeResult(
        value=tables,
        metadata=batch_metadata(
            {
                video: {
                    "keyframes": len(table),
                    "frames_read": len(reading_frames[video]),
                    "with_code": int(table["has_code"].sum()),
                    "preview": markdown_preview(
                        table, ["scene", "time", "description", "has_code"]
                    ),
                }
                for video, table in tables.items()
            },
            {"model": vision.model_id},
        ),
    )
