"""Jobs: one run materializes every stage of one video partition; another checks playlists."""

import warnings

import dagster as dg

from assets import STAGE_ASSETS, playlist_entries

# process_video mixes per-video stages with the batched model stages (assets/common/batches.py).
# Dagster warns and gives a backfill *of this job* the smaller policy, one video per run,
# which is what a job covering per-video stages needs; batches of videos come from asset
# backfills and from `vid2learn run` with several videos.
warnings.filterwarnings(
    "ignore", message="Asset job process_video materializes assets with varying BackfillPolicies"
)

process_video_job = dg.define_asset_job(
    name="process_video",
    selection=dg.AssetSelection.assets(*STAGE_ASSETS),
    description="Download, transcribe, find keyframes and write the notebook of one video.",
)

refresh_playlists_job = dg.define_asset_job(
    name="refresh_playlists",
    selection=dg.AssetSelection.assets(playlist_entries),
    description="List the videos of every configured playlist and channel.",
)
