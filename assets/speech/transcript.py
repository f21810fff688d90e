"""`transcript`: faster-whisper segments and words, two tables from one pass, each row
attributed to a speaker (`speaker_turns`). The segments carry the language Whisper
detected (issue 9: the CPU default, whisper base, is multilingual)."""

import dagster as dg
import pandas as pd

from assets.common.stage import MODEL_RETRY, markdown_preview, model_errors, videos_partitions
from resources.speech import whisper as whisper_backend
from resources.speech.whisper import WhisperResource
from resources.storage.media_store import MediaStore
from vid2learn_dagster.common.lineage import code_version
from vid2learn_dagster.speech import speakers, transcription
from vid2learn_dagster.speech.speakers import attribute_speakers
from vid2learn_dagster.speech.transcription import transcript_tables

_KINDS = {"whisper", "parquet"}
# The Whisper backend module holds the model choice (the pinned sha256 of the bundled
# model included) and decoding defaults: changing either makes the transcript stale.
_CODE_VERSION = code_version(transcription, speakers, whisper_backend)


@dg.multi_asset(
    outs={
        "transcript_segments": dg.AssetOut(
            kinds=_KINDS,
            group_name="speech",
            code_version=_CODE_VERSION,
            description=(
                "Timestamped transcript segments (faster-whisper, VAD), split where the "
                "speaker changes; each has one speaker and the video's detected language."
            ),
        ),
        "transcript_words": dg.AssetOut(
            kinds=_KINDS,
            group_name="speech",
            code_version=_CODE_VERSION,
            description="Every transcribed word with its start, end, probability and speaker.",
        ),
    },
    ins={"audio": dg.AssetIn(), "speaker_turns": dg.AssetIn()},
    partitions_def=videos_partitions,
    pool="gpu",
    retry_policy=MODEL_RETRY,
    name="transcript",
)
def transcript(
    context: dg.AssetExecutionContext,
    audio: pd.DataFrame,
    speaker_turns: pd.DataFrame,
    whisper: WhisperResource,
    media: MediaStore,
):
    """Transcribe the audio once, give every word the speaker holding the floor (largest
    overlap, nearest turn when none) and emit the segment and word tables."""
    video_id = context.partition_key
    audio_path = media.fetch(audio["audio_path"].iloc[0], video_id)
    with model_errors(context):
        result = whisper.transcribe(audio_path)
    segments, words = attribute_speakers(*transcript_tables(video_id, result), speaker_turns)
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
            "speakers": int(segments["speaker"].nunique()),
            "preview": markdown_preview(segments, ["start", "end", "text"]),
        },
    )
    yield dg.MaterializeResult(
        asset_key="transcript_words",
        value=words,
        metadata={**common, "words": len(words)},
    )
