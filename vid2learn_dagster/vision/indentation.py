"""Code laid out as written: indentation and spacing measured in pixels, not guessed.

Indentation is measured from where the ink starts, in pixels, divided by the width of a
space. Indentation taken from OCR box widths fails on proportional fonts (2 spaces for 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from vid2learn_dagster.vision.lines import TextLine


def _median(values: Sequence[float], default: float) -> float:
    return float(np.median(values)) if len(values) else default


def space_width(lines: Sequence[TextLine]) -> float:
    """Pixels per space: the usual gap between words less the usual gap between glyphs
    (side bearings), which works for monospaced and proportional fonts alike."""
    heights = [line.box.height for line in lines]
    word_gaps = [b.x0 - a.x1 for line in lines for a, b in pairwise(line.words)]
    single = _median([g for g in word_gaps if g > 0], 0.45 * _median(heights, 20.0))
    bearing = _median([g for line in lines for g in line.glyph_gaps], 0.1 * single)
    return max(single - bearing, 1.0)


# Indentation is almost always 2, 4 or 8 spaces (or a tab shown as 4 or 8); snapping
# the smallest indentation step to one of these absorbs a space estimate that is 10-20 %
# off on proportional fonts (freeze screenshots: 3.5 spaces measured for 4).
INDENT_WIDTHS = (1, 2, 4, 8)


def pixels_per_space(lines: Sequence[TextLine]) -> float:
    """Width of one indentation space, from the block's smallest indentation step."""
    space = space_width(lines)
    margin = min(line.box.left for line in lines)
    offsets = sorted(line.box.left - margin for line in lines)
    # Offsets within half a space are the same column (glyphs' left bearings differ).
    levels: list[list[float]] = [[offsets[0]]]
    for offset in offsets[1:]:
        if offset - levels[-1][-1] <= 0.5 * space:
            levels[-1].append(offset)
        else:
            levels.append([offset])
    if len(levels) < 2:
        return space
    step = float(np.median(levels[1]) - np.median(levels[0]))
    width = min(INDENT_WIDTHS, key=lambda n: abs(np.log(step / (n * space))))
    return step / width


def layout_code(lines: Sequence[TextLine]) -> str:
    """Lines as written: indentation and runs of spaces from pixels, blank lines from
    the vertical gaps between lines."""
    if not lines:
        return ""
    unit = pixels_per_space(lines)
    bearing = _median([g for line in lines for g in line.glyph_gaps], 0.0)
    margin = min(line.box.left for line in lines)
    tops = [line.box.top for line in lines]
    steps = np.diff(tops)
    pitch = _median([s for s in steps if s <= 1.4 * min(steps)], 1.0) if len(steps) else 1.0
    out: list[str] = []
    for index, line in enumerate(lines):
        if index:
            out.extend([""] * max(0, round((tops[index] - tops[index - 1]) / pitch) - 1))
        text = line.words[0].text
        for before, word in pairwise(line.words):
            text += " " * max(1, round((word.x0 - before.x1 - bearing) / unit)) + word.text
        out.append(" " * round((line.box.left - margin) / unit) + text)
    return "\n".join(out)
