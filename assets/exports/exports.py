"""`exports`: the files a player or an app takes beside the notebook (issue 13 item 3)."""

import dagster as dg
import pandas as pd

from assets.common.batches import BATCH_POLICY, VideoTables, batch_metadata
from assets.common.stage import videos_partitions
from resources.storage.media_store import MediaStore
from vid2learn_dagster.common.lineage import code_version
from vid2learn_dagster.exports import files, subtitles, timeline
from vid2learn_dagster.exports.files import export_texts, write_exports
from vid2learn_dagster.notebook.rendering import VideoSource
from vid2learn_dagster.storage.tables import conform


# Batched like `code_snippets`, which it reads (see term_corrections).
@dg.asset(
    partitions_def=videos_partitions,
    backfill_policy=BATCH_POLICY,
    kinds={"markdown", "json", "parquet"},
    group_name="notebook",
    code_version=code_version(files, subtitles, timeline),
)
def exports(
    source_video: VideoTables,
    transcript_segments: VideoTables,
    video_segments: VideoTables,
    code_snippets: VideoTables,
    media: MediaStore,
) -> dg.MaterializeResult:
    """Per video: `<video>_timeline.md` and `.json` (every code and learning segment with a
    link), `<video>_code.<ext>` (every code version in order with when it was shown), and
    SRT and WebVTT subtitles with speaker names; one row per file."""
    tables, metadata = {}, {}
    for video, segments in video_segments.items():
        source = VideoSource.from_record(source_video[video].iloc[0])
        texts = export_texts(source, segments, code_snippets[video], transcript_segments[video])
        paths = write_exports(media.workdir(video), texts)
        rows = [
            {"video_id": video, "kind": kind, "path": media.publish(path, video)}
            for kind, path in paths.items()
        ]
        tables[video] = conform(pd.DataFrame(rows), "exports")
        metadata[video] = {"files": dg.MetadataValue.md("\n".join(f"- {r['path']}" for r in rows))}
    return dg.MaterializeResult(value=tables, metadata=batch_metadata(metadata))
