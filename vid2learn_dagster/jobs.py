"""Jobs: one run materializes every stage of one video partition."""

import dagster as dg

from assets import STAGE_ASSETS

process_video_job = dg.define_asset_job(
    name="process_video",
    selection=dg.AssetSelection.assets(*STAGE_ASSETS),
    description="Download, transcribe, find keyframes and write the notebook of one video.",
)
