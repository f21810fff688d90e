"""One sub-package per area: thin Dagster wiring around vid2learn_dagster's stage logic."""

from assets.alignment.chunks import chunks
from assets.alignment.term_corrections import term_corrections
from assets.exports.exports import exports
from assets.ingest.audio import audio
from assets.ingest.playlists import playlist_entries
from assets.ingest.source_video import source_video
from assets.language.rewriting import blended_chunks, rewritten_chunks
from assets.notebook.notebook import notebook
from assets.quality.checks import STAGE_CHECKS
from assets.speech.speaker_turns import speaker_turns
from assets.speech.transcript import transcript
from assets.topics.topic_segments import topic_segments
from assets.vision.code_snippets import code_snippets
from assets.vision.keyframes import keyframes
from assets.vision.reading_frames import reading_frames
from assets.vision.visual_descriptions import visual_descriptions

# In graph order; every one is partitioned by video. The model stages (and the term
# corrections between them) come last and can take a batch of videos in one step
# (assets/common/batches.py); the others take one video.
BATCHED_STAGE_ASSETS = [
    visual_descriptions,
    code_snippets,
    term_corrections,
    rewritten_chunks,
    blended_chunks,
    topic_segments,
    notebook,
    exports,
]
BATCHED_STAGE_KEYS = frozenset(key for asset in BATCHED_STAGE_ASSETS for key in asset.keys)
STAGE_ASSETS = [
    source_video,
    audio,
    speaker_turns,
    transcript,
    keyframes,
    reading_frames,
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
