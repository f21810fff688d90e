"""`code_snippets` and `video_segments`: the code on screen at every moment, in versions,
and the video's CODE / MIXED / LEARNING timeline (issue 13)."""

import dagster as dg

from assets.common.batches import BATCH_POLICY, VideoTables, batch_metadata
from assets.common.outputs import table_out
from assets.common.stage import markdown_preview, videos_partitions
from vid2learn_dagster.common.lineage import code_version
from vid2learn_dagster.vision import snippets
from vid2learn_dagster.vision.snippets import code_timeline


# Batched like `visual_descriptions`, whose `frame_readings` it reads (see term_corrections).
@dg.multi_asset(
    outs={
        "code_snippets": table_out(
            "vision",
            code_version(snippets),
            "Each version of each code listing shown, with the time it was visible, its "
            "language, how consistently it was read, and whether it parses.",
        ),
        "video_segments": table_out(
            "vision",
            code_version(snippets),
            "The video's moments in order: CODE, MIXED (code and other text) or LEARNING "
            "(no code), with the slide title and the code version on screen.",
        ),
    },
    partitions_def=videos_partitions,
    backfill_policy=BATCH_POLICY,
)
def code_snippets(
    frame_readings: VideoTables, keyframes: VideoTables, visual_descriptions: VideoTables
):
    """Per video, from what each reading frame showed (`vid2learn_dagster.vision.snippets`)."""
    versions, segments, metadata = {}, {}, {}
    for video, frames in frame_readings.items():
        versions[video], segments[video] = code_timeline(
            video, frames, keyframes[video], visual_descriptions[video]
        )
        metadata[video] = {
            "snippets": int(versions[video]["snippet"].nunique()),
            "versions": len(versions[video]),
            "code_seconds": round(
                float(
                    (segments[video]["end"] - segments[video]["start"])[
                        segments[video]["kind"] != "LEARNING"
                    ].sum()
                ),
                1,
            ),
            "preview": markdown_preview(
                versions[video], ["snippet", "version", "start", "end", "language"]
            ),
        }
    yield dg.MaterializeResult(
        asset_key="code_snippets", value=versions, metadata=batch_metadata(metadata)
    )
    yield dg.MaterializeResult(
        asset_key="video_segments",
        value=segments,
        metadata=batch_metadata({v: {"segments": len(t)} for v, t in segments.items()}),
    )
