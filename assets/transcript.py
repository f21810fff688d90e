"""`transcript`: faster-whisper segments and words, two tables from one pass."""

import dagster as dg
import pandas as pd

from assets.common import MODEL_RETRY, markdown_preview, videos_partitions
from resources.media_store import MediaStore
from resources.whisper import WhisperResource
from vid2learn_dagster.transcription import transcript_tables

_KINDS = {"whisper", "parquet"}


@dg.multi_asset(
    outs={
        "transcript_segments": dg.AssetOut(
            kinds=_KINDS,
            group_name="speech",
            code_version="1",
            description="Timestamped transcript segments (faster-whisper, VAD).",
        ),
        "transcript_words": dg.AssetOut(
            kinds=_KINDS,
            group_name="speech",
            code_version="1",
            description="Every transcribed word with its start, end and probability.",
        ),
    },
    ins={"audio": dg.AssetIn()},
    partitions_def=videos_partitions,
    pool="gpu",
    retry_policy=MODEL_RETRY,
    name="transcript",
)
def transcript(
    context: dg.AssetExecutionContext,
    audio: pd.DataFrame,
    whisper: WhisperResource,
    media: MediaStore,
):
    """Transcribe the audio once and emit the segment and word tables."""
    video_id = context.partition_key
    audio_path = media.fetch(audio["audio_path"].iloc[0], video_id)
    result = whisper.transcribe(audio_path)
    segments, words = transcript_tables(video_id, result)
    duration = float(audio["duration"].iloc[0])
    if segments.empty:
        context.log.warning(f"{video_id}: no speech found")
    common = {"model": whisper.model_id, "language": result.language, "audio_duration_s": duration}
    yield dg.MaterializeResult(
        asset_key="transcript_segments",
        value=segments,
        metadata={
            **common,
            "segments": len(segments),
            "speech_s": float((segments["end"] - segments["start"]).sum()),
            "preview": markdown_preview(segments, ["start", "end", "text"]),
        },
    )
    yield dg.MaterializeResult(
        asset_key="transcript_words",
        value=words,
        metadata={**common, "words": len(words)},
    )
