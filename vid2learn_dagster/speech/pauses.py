"""Where speech pauses: stretches much quieter than the recording's loud level (numpy only).

The segmentation model bridges the short pauses between sentences (its speech regions
run through them), so the diarization looks for them in the signal itself: a sentence is
speech between pauses (`sentence_voices`), and a change of voice happens at one
(`diarization.merge_unpaused_speakers`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# At least MIN_PAUSE seconds DROP_DB below the recording's loud (95th percentile) level.
MIN_PAUSE = 0.2
DROP_DB = 35.0
FRAME = 0.025
HOP = 0.01


def find_pauses(samples: np.ndarray, sample_rate: int) -> list[tuple[float, float]]:
    """(start, end) in seconds of every pause in the recording."""
    frame, hop = int(FRAME * sample_rate), int(HOP * sample_rate)
    if len(samples) < frame:
        return []
    windows = np.lib.stride_tricks.sliding_window_view(samples, frame)[::hop]
    level = 20 * np.log10(np.sqrt((windows.astype(np.float64) ** 2).mean(axis=1)) + 1e-9)
    quiet = np.concatenate([[0], level < np.percentile(level, 95) - DROP_DB, [0]])
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    return [
        (on * HOP, off * HOP)
        for on, off in zip(edges[::2], edges[1::2], strict=True)
        if (off - on) * HOP >= MIN_PAUSE
    ]


def with_silences(
    pauses: Sequence[tuple[float, float]], regions: Sequence[tuple[float, float]], duration: float
) -> list[tuple[float, float]]:
    """`pauses` plus the silences around the speech `regions` (before, between, after):
    where the segmentation hears nobody is a pause too."""
    edges = [0.0, *[t for region in regions for t in region], duration]
    gaps = [(a, b) for a, b in zip(edges[::2], edges[1::2], strict=True) if b > a]
    return sorted([*pauses, *gaps])
