"""Jobs: one run materializes every stage of one video partition; another checks playlists."""

import dagster as dg

from assets import STAGE_ASSETS, playlist_entries

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
