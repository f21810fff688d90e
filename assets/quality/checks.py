"""Asset checks: the rules of `vid2learn_dagster.quality.checks` run after each stage.

Blocking checks (severity ERROR) stop the stages downstream of a bad table in the same
run, so a broken transcript or a missing keyframe never reaches the notebook; the check
result, with the first offending rows, is on the asset's page in the UI. Each check is
partitioned like its asset, so it reads that video's tables only.
"""

import dagster as dg
import pandas as pd
from upath import UPath

from assets.common.batches import VideoTables
from assets.common.stage import videos_partitions
from resources.storage.catalog import DuckDBCatalog
from resources.storage.media_store import MediaStore
from vid2learn_dagster.quality import checks
from vid2learn_dagster.quality.checks import CheckOutcome
from vid2learn_dagster.quality.faithfulness import notebook_faithfulness


def _result(
    outcome: CheckOutcome, severity: dg.AssetCheckSeverity, **metadata: object
) -> dg.AssetCheckResult:
    if outcome.problems:
        metadata["problems"] = dg.MetadataValue.md("\n".join(f"- {p}" for p in outcome.problems))
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=severity,
        description=outcome.description,
        metadata=metadata,
    )


def _duration(source_video: pd.DataFrame) -> float:
    return float(source_video["duration"].iloc[0])


@dg.asset_check(
    partitions_def=videos_partitions,
    asset="transcript_segments",
    additional_ins={"transcript_words": dg.AssetIn(), "source_video": dg.AssetIn()},
    blocking=True,
    description="Segments in time order inside the video; every word inside its segment.",
)
def transcript_timestamps(
    transcript_segments: pd.DataFrame, transcript_words: pd.DataFrame, source_video: pd.DataFrame
) -> dg.AssetCheckResult:
    outcome = checks.transcript_timestamps(
        transcript_segments, transcript_words, _duration(source_video)
    )
    return _result(outcome, dg.AssetCheckSeverity.ERROR)


@dg.asset_check(
    partitions_def=videos_partitions,
    asset="keyframes",
    additional_ins={"source_video": dg.AssetIn()},
    blocking=True,
    description="Every keyframe inside the video, with its image file present.",
)
def keyframes_present(keyframes: pd.DataFrame, source_video: pd.DataFrame) -> dg.AssetCheckResult:
    outcome = checks.keyframes_present(
        keyframes, _duration(source_video), lambda path: UPath(path).exists()
    )
    return _result(outcome, dg.AssetCheckSeverity.ERROR)


@dg.asset_check(
    partitions_def=videos_partitions,
    asset="chunks",
    additional_ins={"transcript_segments": dg.AssetIn()},
    blocking=True,
    description="Every transcript segment in exactly one chunk.",
)
def chunks_cover_transcript(
    chunks: pd.DataFrame, transcript_segments: pd.DataFrame
) -> dg.AssetCheckResult:
    outcome = checks.chunks_cover_segments(chunks, transcript_segments)
    return _result(outcome, dg.AssetCheckSeverity.ERROR)


@dg.asset_check(
    partitions_def=videos_partitions,
    asset="notebook",
    blocking=True,
    description="The notebook file is valid nbformat v4 with at least one section.",
)
def notebook_valid(notebook: VideoTables, media: MediaStore) -> dg.AssetCheckResult:
    # `notebook` is a batched model stage, so this check may see several videos at once.
    outcomes = {
        video: checks.notebook_valid(media.fetch(table["notebook_path"].iloc[0], video))
        for video, table in notebook.items()
    }
    return _result(CheckOutcome.per_video(outcomes), dg.AssetCheckSeverity.ERROR)


@dg.asset_check(
    partitions_def=videos_partitions,
    asset="notebook_sections",
    additional_ins={"chunks": dg.AssetIn(), "visual_descriptions": dg.AssetIn()},
    description=(
        "Faithfulness: at least 90 % of the notebook's sentences and every quiz answer "
        "supported by its section's speech and slides; every code cell parses."
    ),
)
def notebook_faithful(
    notebook_sections: VideoTables, chunks: VideoTables, visual_descriptions: VideoTables
) -> dg.AssetCheckResult:
    # A reviewer's signal, not a gate: unsupported sentences were already dropped before
    # the notebook was written (their count is in notebook_sections), so a warning.
    measured = {
        video: notebook_faithfulness(table, chunks[video], visual_descriptions[video])
        for video, table in notebook_sections.items()
    }
    return _result(
        CheckOutcome.per_video({v: f.outcome() for v, f in measured.items()}),
        dg.AssetCheckSeverity.WARN,
        # The lowest over a batch: the video a reviewer should open first.
        supported_share=round(min(f.supported_share for f in measured.values()), 3),
    )


@dg.asset_check(
    partitions_def=videos_partitions,
    asset="source_video",
    description="No two partitions hold one video (same URL or same file), over all videos.",
)
def no_duplicate_videos(catalog: DuckDBCatalog) -> dg.AssetCheckResult:
    # A duplicate wastes work but poisons nothing: a warning, not a blocking failure.
    catalog.refresh()  # the views must include the table this run just wrote
    videos = catalog.query("SELECT video_id, url, sha256 FROM videos")
    return _result(checks.duplicate_videos(videos), dg.AssetCheckSeverity.WARN)


STAGE_CHECKS = [
    transcript_timestamps,
    keyframes_present,
    chunks_cover_transcript,
    notebook_valid,
    notebook_faithful,
    no_duplicate_videos,
]
