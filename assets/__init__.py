"""One module per stage: thin Dagster wiring around vid2learn_dagster's stage logic."""

from assets.audio import audio
from assets.chunks import chunks
from assets.keyframes import keyframes
from assets.notebook import notebook
from assets.source_video import source_video
from assets.transcript import transcript

# In graph order; every one is partitioned by video.
STAGE_ASSETS = [source_video, audio, transcript, keyframes, chunks, notebook]

__all__ = ["STAGE_ASSETS"]
