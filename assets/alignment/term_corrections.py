"""`term_corrections`: mis-heard words fixed by the terms shown on screen, each recorded."""

import dagster as dg
import pandas as pd

from assets.common.batches import BATCH_POLICY, VideoTables, batch_metadata
from assets.common.stage import markdown_preview, videos_partitions
from vid2learn_dagster.alignment import term_correction
from vid2learn_dagster.alignment.term_correction import (
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
) -> tuple[pd.DataFrame, int]:
    video = source_video.iloc[0]
    terms = screen_terms(
        slide_screens(keyframes, visuals), str(video["title"] or ""), float(video["duration"])
    )
    return corrections_table(video_id, words, find_corrections(words, terms)), len(terms)


# Batched like the model stages around it (it needs `visual_descriptions`, which they
# produce), though it loads no model: `vid2learn run` with several videos runs it in
# their step (vid2learn_dagster/app/cli.py).
@dg.asset(
    partitions_def=videos_partitions,
    backfill_policy=BATCH_POLICY,
    kinds={"python", "parquet"},
    group_name="speech",
    code_version=code_version(term_correction),
)
def term_corrections(
    source_video: VideoTables,
    transcript_words: VideoTables,
    keyframes: VideoTables,
    visual_descriptions: VideoTables,
) -> dg.MaterializeResult:
    """Runs of heard words replaced by a term the screen showed meanwhile (slide text, code
    or the title): word index, times, what was heard, the term and where it came from.
    The transcript tables keep what Whisper heard; the language stages read the corrected
    text (issue 11)."""
    tables, metadata = {}, {}
    for video, words in transcript_words.items():
        table, terms = _corrections(
            video, source_video[video], words, keyframes[video], visual_descriptions[video]
        )
        tables[video] = table
        metadata[video] = {
            "corrections": len(table),
            "terms_on_screen": terms,
            "preview": markdown_preview(table, ["start", "heard", "corrected", "source"]),
        }
    return dg.MaterializeResult(value=tables, metadata=batch_metadata(metadata))
