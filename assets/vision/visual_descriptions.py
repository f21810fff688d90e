"""`visual_descriptions` and `frame_readings`: what each scene shows (text, code) and what
each of its reading frames showed, from the vision resource in one step."""

import dagster as dg

from assets.common.batches import BATCH_POLICY, VideoTables, batch_metadata
from assets.common.outputs import table_out
from assets.common.stage import MODEL_RETRY, markdown_preview, videos_partitions
from assets.common.versions import CODE_VERSIONS
from resources.storage.media_store import MediaStore
from resources.vision.reader import VisionResource
from vid2learn_dagster.common.batching import call_batched
from vid2learn_dagster.vision.descriptions import frame_table, scene_descriptions


@dg.multi_asset(
    outs={
        "visual_descriptions": table_out(
            "vision",
            CODE_VERSIONS["visual_descriptions"],
            "One row per scene: description, on-screen text, whether it shows code, the code, "
            "the title, read from every frame of the scene (its keyframe's first).",
            kinds=frozenset({"vision"}),
        ),
        "frame_readings": table_out(
            "vision",
            CODE_VERSIONS["visual_descriptions"],
            "What each reading frame showed: its text, code and title (issue 13).",
        ),
    },
    partitions_def=videos_partitions,
    backfill_policy=BATCH_POLICY,
    pool="gpu",
    retry_policy=MODEL_RETRY,
)
def visual_descriptions(reading_frames: VideoTables, vision: VisionResource, media: MediaStore):
    """The frames of every video in the step go to the vision model in one batch; each
    frame's reading is kept (`frame_readings`) and each scene's are merged."""
    images = {
        video: [media.fetch(path, video) for path in frames["image_path"]]
        for video, frames in reading_frames.items()
    }
    described = call_batched(images, vision.describe)
    tables = {
        video: scene_descriptions(video, frames, described[video])
        for video, frames in reading_frames.items()
    }
    yield dg.MaterializeResult(
        asset_key="frame_readings",
        value={
            video: frame_table(video, frames, described[video])
            for video, frames in reading_frames.items()
        },
    )
    yield dg.MaterializeResult(
        asset_key="visual_descriptions",
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
