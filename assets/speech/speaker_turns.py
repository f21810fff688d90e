"""`speaker_turns`: who speaks when (speaker diarization of the audio track)."""

import dagster as dg
import pandas as pd

from assets.common.stage import MODEL_RETRY, markdown_preview, videos_partitions
from resources.speech import diarization as diarization_backend
from resources.speech.diarization import DiarizationResource, DiarizationUnavailableError
from resources.storage.media_store import MediaStore
from vid2learn_dagster.common.lineage import code_version
from vid2learn_dagster.ingest.media import MediaError
from vid2learn_dagster.speech import diarization, speakers
from vid2learn_dagster.speech.speakers import speech_over_others, turns_table


@dg.asset(
    partitions_def=videos_partitions,
    kinds={"pyannote", "parquet"},
    group_name="speech",
    code_version=code_version(diarization, speakers, diarization_backend),
    pool="gpu",
    retry_policy=MODEL_RETRY,
)
def speaker_turns(
    context: dg.AssetExecutionContext,
    audio: pd.DataFrame,
    diarization: DiarizationResource,
    media: MediaStore,
) -> dg.MaterializeResult:
    """Speaker turns labelled SPEAKER_00, SPEAKER_01... by first appearance in the video.

    Rows with `overlap` False are the exclusive view (one voice holds the floor at a time:
    what transcript words are aligned to); `overlap` True rows are speech over that voice.
    """
    video_id = context.partition_key
    audio_path = media.fetch(audio["audio_path"].iloc[0], video_id)
    try:
        views = diarization.diarize_views(audio_path)
    except (MediaError, DiarizationUnavailableError) as err:
        # A corrupt file or a missing package stays so: retrying cannot help.
        raise dg.Failure(f"{video_id}: cannot diarize: {err}", allow_retries=False) from err
    table = turns_table(video_id, views.exclusive, speech_over_others(views.turns, views.exclusive))
    if table.empty:
        context.log.warning(f"{video_id}: no speech found, so no speakers")
    seconds = (table["end"] - table["start"]).groupby(table["speaker"]).sum().round(2)
    return dg.MaterializeResult(
        value=table,
        metadata={
            "model": diarization.model_id,
            "speakers": len(seconds),
            "seconds_per_speaker": dg.MetadataValue.json(
                {str(k): float(v) for k, v in seconds.items()}
            ),
            "overlap_s": float((table["end"] - table["start"])[table["overlap"]].sum()),
            "turns": int((~table["overlap"]).sum()),
            "preview": markdown_preview(table, ["start", "end", "speaker", "overlap"]),
        },
    )
