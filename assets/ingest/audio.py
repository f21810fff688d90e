"""`audio`: the 16 kHz mono track every speech model reads."""

import dagster as dg
import pandas as pd

from assets.common.stage import videos_partitions
from resources.storage.media_store import MediaStore
from vid2learn_dagster.common.lineage import code_version
from vid2learn_dagster.ingest import media as media_logic
from vid2learn_dagster.ingest.media import extract_audio
from vid2learn_dagster.storage.tables import conform

SAMPLE_RATE = 16_000


@dg.asset(
    partitions_def=videos_partitions,
    kinds={"ffmpeg", "parquet"},
    group_name="ingest",
    code_version=code_version(media_logic, settings={"sample_rate": SAMPLE_RATE}),
)
def audio(
    context: dg.AssetExecutionContext, source_video: pd.DataFrame, media: MediaStore
) -> dg.MaterializeResult:
    """16 kHz mono WAV extracted with ffmpeg; a video without sound gets silence of its length."""
    video_id = context.partition_key
    video_path = media.fetch(source_video["video_path"].iloc[0], video_id)
    info = extract_audio(video_path, media.workdir(video_id) / "audio.wav", SAMPLE_RATE)
    if not info.had_audio_stream:
        context.log.warning(f"{video_id}: the video has no audio stream; wrote silence")
    row = {
        "video_id": video_id,
        "audio_path": media.publish(info.path, video_id),
        "sample_rate": info.sample_rate,
        "duration": info.duration,
        "had_audio_stream": info.had_audio_stream,
    }
    return dg.MaterializeResult(
        value=conform(pd.DataFrame([row]), "audio"),
        metadata={
            "duration_s": info.duration,
            "sample_rate": info.sample_rate,
            "had_audio_stream": info.had_audio_stream,
            "audio_path": dg.MetadataValue.path(row["audio_path"]),
        },
    )
