"""One module per stage: thin Dagster wiring around vid2learn_dagster's stage logic."""

from assets.audio import audio
from assets.checks import STAGE_CHECKS
from assets.chunks import chunks
from assets.keyframes import keyframes
from assets.notebook import notebook
from assets.playlists import playlist_entries
from assets.rewriting import blended_chunks, rewritten_chunks
from assets.source_video import source_video
from assets.speaker_turns import speaker_turns
from assets.topic_segments import topic_segments
from assets.transcript import transcript
from assets.visual_descriptions import visual_descriptions

# In graph order; every one is partitioned by video. The model stages come last and can
# take a batch of videos in one step (assets/batches.py); the others take one video.
BATCHED_STAGE_ASSETS = [
    visual_descriptions,
    rewritten_chunks,
    blended_chunks,
    topic_segments,
    notebook,
]
BATCHED_STAGE_KEYS = frozenset(key for asset in BATCHED_STAGE_ASSETS for key in asset.keys)
STAGE_ASSETS = [
    source_video,
    audio,
    speaker_turns,
    transcript,
    keyframes,
    chunks,
    *BATCHED_STAGE_ASSETS,
]

__all__ = [
    "BATCHED_STAGE_ASSETS",
    "BATCHED_STAGE_KEYS",
    "STAGE_ASSETS",
    "STAGE_CHECKS",
    "playlist_entries",
]
