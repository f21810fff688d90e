"""`term_corrections`: mis-heard words fixed by the terms shown on screen, each recorded."""

import functools

import dagster as dg
import pandas as pd

from assets.common.batches import BATCH_POLICY, VideoTables, batch_metadata
from assets.common.stage import MODEL_RETRY, markdown_preview, model_errors, videos_partitions
from resources.speech import hearing
from resources.speech.whisper import WhisperResource
from resources.storage.media_store import MediaStore
from vid2learn_dagster.alignment import term_correction
from vid2learn_dagster.alignment.term_correction import (
    Listener,
    corrections_table,
    find_corrections,
    screen_terms,
    slide_screens,
)
from vid2learn_dagster.common.lineage import code_version


def _corrections(
    video_id: str,
    source_video: pd.DataFrame,
    words: pd.DataFrame,
    keyframes: pd.DataFrame,
    visuals: pd.DataFrame,
    listen: Listener,
    language: str,
) -> tuple[pd.DataFrame, int]:
    video = source_video.iloc[0]
    terms = screen_terms(
        slide_screens(keyframes, visuals), str(video["title"] or ""), float(video["duration"])
    )
    found = find_corrections(words, terms, listen=listen, language=language)
    return corrections_table(video_id, words, found), len(terms)


# Batched like the model stages around it (it needs `visual_descriptions`, which they
# produce): `vid2learn run` with several videos runs it in their step
# (vid2learn_dagster/app/cli.py). Whisper loads only for a video with a term that
# hearing must confirm (`resources/speech/hearing.py`).
@dg.asset(
    partitions_def=videos_partitions,
    backfill_policy=BATCH_POLICY,
    kinds={"whisper", "parquet"},
    group_name="speech",
    pool="gpu",
    retry_policy=MODEL_RETRY,
    code_version=code_version(term_correction, hearing),
)
def term_corrections(
    context: dg.AssetExecutionContext,
    source_video: VideoTables,
    audio: VideoTables,
    transcript_segments: VideoTables,
    transcript_words: VideoTables,
    keyframes: VideoTables,
    visual_descriptions: VideoTables,
    whisper: WhisperResource,
    media: MediaStore,
) -> dg.MaterializeResult:
    """Runs of heard words replaced by a term the screen showed meanwhile (slide text, code
    or the title): word index, times, what was heard, the term and where it came from.
    The transcript tables keep what Whisper heard; the language stages read the corrected
    text (issue 11)."""
    tables, metadata = {}, {}
    for video, words in transcript_words.items():
        segments = transcript_segments[video]
        language = str(segments["language"].iloc[0]) if len(segments) else ""
        listen = hearing.listener(
            whisper,
            functools.partial(media.fetch, audio[video]["audio_path"].iloc[0], video),
            language,
        )
        with model_errors(context):
            table, terms = _corrections(
                video,
                source_video[video],
                words,
                keyframes[video],
                visual_descriptions[video],
                listen,
                language,
            )
        tables[video] = table
        metadata[video] = {
            "corrections": len(table),
            "decided_by_hearing": int(table["hearing_gain"].notna().sum()),
            "terms_on_screen": terms,
            "preview": markdown_preview(table, ["start", "heard", "corrected", "source"]),
        }
    return dg.MaterializeResult(value=tables, metadata=batch_metadata(metadata))
