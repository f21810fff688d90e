"""How high a stretch of speech is pitched: YIN fundamental frequency, numpy only.

Diarization asks one question of pitch (`sentence_voices`): is this sentence spoken
clearly higher or lower than the rest of its speaker's? That needs a voicing decision, so
unvoiced and silent frames do not pull the median. torchaudio's `detect_pitch_frequency`
has none: on AMI trn06 it put a woman's sentences at 99-107 Hz (YIN: 136-254 Hz).
librosa's `yin` has none either, and its `pyin` would add numba and llvmlite (about
50 MB) to every install for one median per sentence. YIN (de Cheveigné & Kawahara 2002)
with its aperiodicity threshold is the voicing decision, in a few lines.
"""

from __future__ import annotations

import numpy as np

FRAME = 0.04  # seconds: two periods of the lowest pitch looked for
HOP = 0.01
LOWEST = 70.0  # Hz: below a low male voice
HIGHEST = 400.0  # Hz: above a high female voice
# A frame is voiced when its cumulative mean normalised difference dips under this
# (YIN's absolute threshold; the paper's 0.1-0.2 range).
APERIODICITY = 0.2
# Frames quieter than this share of the piece's loud (95th percentile) level are silence.
QUIET = 0.1
BLOCK = 2048  # frames per FFT batch: bounds memory on long pieces


def pitch_track(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Fundamental frequency (Hz) every HOP seconds; NaN where unvoiced or quiet."""
    n, hop = int(FRAME * sample_rate), int(HOP * sample_rate)
    longest = int(sample_rate / LOWEST)
    shortest = int(sample_rate / HIGHEST)
    width = n - longest  # samples compared at every lag
    if len(samples) < n:
        return np.zeros(0)
    starts = np.arange(0, len(samples) - n + 1, hop)
    frames = np.lib.stride_tricks.sliding_window_view(samples.astype(np.float64), n)[starts]
    frames = frames - frames.mean(axis=1, keepdims=True)
    level = np.sqrt((frames[:, :width] ** 2).mean(axis=1))
    loud = level > QUIET * np.percentile(level, 95)
    pitch = np.full(len(frames), np.nan)
    size = 1 << (2 * n - 1).bit_length()
    for lo in range(0, len(frames), BLOCK):
        block = frames[lo : lo + BLOCK]
        # d(t) = sum_j (x_j - x_{j+t})^2 over j < width, from an FFT cross-correlation of
        # the first `width` samples with the whole frame, and running energies.
        spectrum = np.fft.rfft(block, size) * np.conj(np.fft.rfft(block[:, :width], size))
        correlation = np.fft.irfft(spectrum, size)[:, : longest + 1]
        energy = np.cumsum(np.pad(block**2, ((0, 0), (1, 0))), axis=1)
        lagged = energy[:, width : width + longest + 1] - energy[:, : longest + 1]
        difference = energy[:, width : width + 1] + lagged - 2.0 * correlation
        lags = np.arange(1, longest + 1)
        normalised = (
            difference[:, 1:] * lags / np.maximum(np.cumsum(difference[:, 1:], axis=1), 1e-12)
        )
        pitch[lo : lo + len(block)] = _first_dips(
            normalised[:, shortest - 1 :], shortest, sample_rate
        )
    pitch[~loud] = np.nan
    return pitch


def _first_dips(normalised: np.ndarray, shortest: int, sample_rate: int) -> np.ndarray:
    """Per frame, the frequency of the first lag under APERIODICITY, walked down to its
    local minimum (YIN steps 4-5); NaN when no lag dips that low (unvoiced)."""
    below = normalised < APERIODICITY
    voiced = below.any(axis=1)
    first = below.argmax(axis=1)
    rising = np.diff(normalised, axis=1) >= 0
    out = np.full(len(normalised), np.nan)
    for row in np.flatnonzero(voiced):
        stop = np.flatnonzero(rising[row, first[row] :])
        lag = first[row] + (int(stop[0]) if len(stop) else 0)
        out[row] = sample_rate / (lag + shortest)
    return out


def median_log_pitch(samples: np.ndarray, sample_rate: int, min_voiced: int = 10) -> float:
    """Median pitch of a piece of speech in octaves (log2 Hz); NaN with under `min_voiced`
    voiced frames (a whisper, a cough: no pitch to compare)."""
    track = pitch_track(samples, sample_rate)
    voiced = track[np.isfinite(track)]
    return float(np.log2(np.median(voiced))) if len(voiced) >= min_voiced else float("nan")
