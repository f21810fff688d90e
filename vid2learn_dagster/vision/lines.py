"""Text lines found in a frame's pixels, each read by an injected line recogniser.

Pure logic around the recogniser (an OCR engine or a stand-in), so the layout rules are
testable without a model. What made OCR of code slides accurate here (shared/FACTS.md,
OCR): find the code panel and read it against its own background; turn every colour
into dark-on-light ink by its distance from that background (this also inverts dark
editor themes); and recognise each text line on its own crop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

# Colour distance (max over RGB channels, 0-255) above which a pixel is ink, not
# background: low enough for grey comments on a dark theme (#666 on #1a1a1a is ~75),
# high enough for video compression noise.
INK_THRESHOLD = 40
# A panel is a filled box of a colour other than the page's, this large at least. Slide
# code panels are often a faint tint of the page (14 levels apart in the sample lecture),
# so they are found with a lower threshold than ink, still above H.264 noise on flat areas.
PANEL_THRESHOLD = 7
PANEL_MIN_WIDTH = 0.2
PANEL_MIN_HEIGHT = 0.08
PANEL_MIN_FILL = 0.5
# Line crops are scaled so the line's ink is about this tall: tesseract reads best
# when capitals are 20-40 px (measured on the freeze screenshots: 28 px lines, scale 1).
TARGET_LINE_HEIGHT = 32
CROP_PADDING = 10
# A line read with a mean confidence under this is read again with its word gaps widened:
# tesseract joins monospaced words around one-letter names ("if n == 0:" read as
# "If inti== 0" at 14 %, "if n == 0:" at 88 % widened); the more confident reading wins.
RETRY_CONFIDENCE = 70.0
WIDEN_GAPS = 1.5
MIN_WORD_GAP = 6  # blank columns (scaled crop pixels) that can be a word gap


@dataclass(frozen=True)
class Word:
    """A recognised word and its horizontal ink extent in pixels of the crop it came from."""

    text: str
    x0: float
    x1: float
    confidence: float = 100.0  # the recogniser's, 0-100 (100: it does not say)


# A grayscale, dark-on-light crop of one text line -> its words, left to right.
Recognizer = Callable[[np.ndarray], list[Word]]


@dataclass(frozen=True)
class Box:
    top: int
    bottom: int
    left: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left


@dataclass(frozen=True)
class TextLine:
    """A recognised line: ink box in frame pixels, words in frame pixels."""

    box: Box
    words: tuple[Word, ...]
    bullet: bool = False
    # Blank columns between glyphs inside words: the side bearings a word gap also holds.
    glyph_gaps: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def background_colour(rgb: np.ndarray) -> np.ndarray:
    """The most common colour (quantized, so compression noise does not split it)."""
    step = max(1, int(np.ceil(np.sqrt(rgb.shape[0] * rgb.shape[1] / 40_000))))
    sample = rgb[::step, ::step].reshape(-1, 3)
    quantized = sample.astype(np.int32) // 8
    keys = (quantized[:, 0] << 10) | (quantized[:, 1] << 5) | quantized[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    return sample[keys == values[np.argmax(counts)]].mean(axis=0)


def ink_strength(rgb: np.ndarray, background: np.ndarray) -> np.ndarray:
    """How far each pixel is from the background (0-255): ink of any hue, either polarity."""
    return np.abs(rgb.astype(np.int16) - background.astype(np.int16)).max(axis=2).astype(np.uint8)


def find_panels(rgb: np.ndarray, page: np.ndarray) -> list[Box]:
    """Filled boxes of another colour than the page (code panels, terminal windows)."""
    import cv2

    height, width = rgb.shape[:2]
    mask = (ink_strength(rgb, page) > PANEL_THRESHOLD).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    panels = []
    for x, y, w, h, area in stats[1:count]:
        if (
            w >= PANEL_MIN_WIDTH * width
            and h >= PANEL_MIN_HEIGHT * height
            and area >= PANEL_MIN_FILL * w * h
        ):
            panels.append(Box(int(y), int(y + h), int(x), int(x + w)))
    return panels


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    padded = np.concatenate([[False], flags, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _without_rules(ink: np.ndarray) -> np.ndarray:
    """Drop rows and columns that are ink almost end to end (borders, rules, underlines)."""
    ink = ink.copy()
    ink[:, ink.mean(axis=0) > 0.6] = False
    ink[ink.mean(axis=1) > 0.6, :] = False
    return ink


def _merge_fragments(bands: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join each thin band to the nearer neighbouring line: the dots of "i" in "main ="
    sit apart from a line that has no ascenders."""
    if not bands:
        return bands
    typical = float(np.median([bottom - top for top, bottom in bands]))
    merged = [list(band) for band in bands]
    index = 0
    while index < len(merged):
        top, bottom = merged[index]
        if bottom - top < 0.45 * typical:
            before = top - merged[index - 1][1] if index > 0 else np.inf
            after = merged[index + 1][0] - bottom if index + 1 < len(merged) else np.inf
            if min(before, after) < 0.35 * typical:
                target = index - 1 if before <= after else index + 1
                merged[target] = [min(merged[target][0], top), max(merged[target][1], bottom)]
                del merged[index]
                continue
        index += 1
    return [(top, bottom) for top, bottom in merged]


def line_boxes(ink: np.ndarray, region: Box) -> list[Box]:
    """Text lines in a region, top to bottom, from the rows that hold ink."""
    area = _without_rules(ink[region.top : region.bottom, region.left : region.right])
    boxes = []
    for top, bottom in _merge_fragments(_runs(area.any(axis=1))):
        if bottom - top < 3:  # specks, not text
            continue
        columns = np.flatnonzero(area[top:bottom].any(axis=0))
        boxes.append(
            Box(
                region.top + top,
                region.top + bottom,
                region.left + int(columns[0]),
                region.left + int(columns[-1]) + 1,
            )
        )
    return boxes


def bullet_width(ink: np.ndarray, box: Box) -> int:
    """Pixels taken by a leading bullet glyph (a small, solid, roundish blob at mid
    height, then a gap), else 0."""
    runs = _runs(ink[box.top : box.bottom, box.left : box.right].any(axis=0))
    if len(runs) < 2:
        return 0
    (start, end), (next_start, _) = runs[0], runs[1]
    blob = ink[box.top : box.bottom, box.left + start : box.left + end]
    rows = np.flatnonzero(blob.any(axis=1))
    blob = blob[rows[0] : rows[-1] + 1]
    height, width = blob.shape
    small = max(height, width) <= 0.6 * box.height
    solid = 0.5 <= width / height <= 2.0 and blob.mean() >= 0.6
    centred = abs((rows[0] + rows[-1]) / 2 - box.height / 2) <= 0.3 * box.height
    spaced = next_start - end >= 0.25 * box.height
    return next_start if small and solid and centred and spaced else 0


def line_crop(
    strength: np.ndarray, box: Box, skip: int = 0, height: int = 0
) -> tuple[np.ndarray, float]:
    """Dark-on-light crop of one line, scaled for the recogniser; returns (crop, scale).

    `height` is the usual line height of the block: a line whose ink is lower (no
    ascenders, as in "n * n" or "if n == 0:") is cropped and scaled as tall as its
    neighbours, since its glyphs are the same size; scaled by its own ink, it was read
    as "h *n" and "ffni==100".
    """
    import cv2

    extra = max(0, height - box.height)
    top = max(0, box.top - extra // 2)
    bottom = min(strength.shape[0], box.bottom + extra - extra // 2)
    crop = strength[top:bottom, box.left + skip : box.right].astype(np.float32)
    crop = 255 - np.clip(crop * (255 / max(float(crop.max()), 1.0)), 0, 255)
    scale = float(np.clip(TARGET_LINE_HEIGHT / max(box.height, height), 1.0, 4.0))
    if scale > 1.0:
        size = (round(crop.shape[1] * scale), round(crop.shape[0] * scale))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
    padded = np.pad(np.clip(crop, 0, 255), CROP_PADDING, constant_values=255)
    return padded.astype(np.uint8), scale


def widen_gaps(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The crop with every inner blank run of MIN_WORD_GAP columns or more made
    WIDEN_GAPS times wider, and for each of its columns the crop column it came from."""
    blank = ~(crop < 128).any(axis=0)
    pieces, sources, previous = [], [], 0
    for start, end in _runs(blank):
        inner = start > 0 and end < crop.shape[1] and end - start >= MIN_WORD_GAP
        if not inner:
            continue
        wide = round((end - start) * WIDEN_GAPS)
        pieces += [crop[:, previous:start], np.full((crop.shape[0], wide), 255, crop.dtype)]
        sources += [np.arange(previous, start), np.linspace(start, end - 1, wide).round()]
        previous = end
    pieces.append(crop[:, previous:])
    sources.append(np.arange(previous, crop.shape[1]))
    return np.concatenate(pieces, axis=1), np.concatenate(sources).astype(int)


def _confidence(words: Sequence[Word]) -> float:
    return float(np.mean([w.confidence for w in words])) if words else 0.0


def recognise_line(crop: np.ndarray, recognise: Recognizer) -> list[Word]:
    """Words of one line crop; an unsure reading is tried again with wider word gaps and
    the more confident of the two kept (positions always in `crop`'s pixels)."""
    words = [w for w in recognise(crop) if w.text.strip()]
    if _confidence(words) >= RETRY_CONFIDENCE:
        return words
    wide, source = widen_gaps(crop)
    again = [w for w in recognise(wide) if w.text.strip()]
    if _confidence(again) <= _confidence(words):
        return words
    last = len(source) - 1

    def back(x: float) -> int:
        return int(source[min(max(int(x), 0), last)])

    return [Word(w.text, back(w.x0), back(w.x1 - 1) + 1, w.confidence) for w in again]


def read_lines(
    rgb: np.ndarray,
    region: Box,
    recognise: Recognizer,
    *,
    in_panel: bool,
    exclude: Sequence[Box] = (),
) -> list[TextLine]:
    """Recognise every text line of a region against the region's own background."""
    window = rgb[region.top : region.bottom, region.left : region.right]
    strength = np.zeros(rgb.shape[:2], dtype=np.uint8)
    strength[region.top : region.bottom, region.left : region.right] = ink_strength(
        window, background_colour(window)
    )
    for other in exclude:
        strength[other.top : other.bottom, other.left : other.right] = 0
    ink = strength > INK_THRESHOLD
    lines = []
    boxes = line_boxes(ink, region)
    usual = int(np.median([box.height for box in boxes])) if boxes else 0
    for box in boxes:
        # No bullets in code panels: a short first token ("n * n") can look like one.
        skip = 0 if in_panel else bullet_width(ink, box)
        crop, scale = line_crop(strength, box, skip, usual)
        offset = box.left + skip - CROP_PADDING / scale
        words = tuple(
            Word(w.text, offset + w.x0 / scale, offset + w.x1 / scale, w.confidence)
            for w in recognise_line(crop, recognise)
        )
        if words:
            gaps = _glyph_gaps(ink[box.top : box.bottom], words)
            lines.append(TextLine(box, words, skip > 0, gaps))
    return lines


def _glyph_gaps(band: np.ndarray, words: Sequence[Word]) -> tuple[int, ...]:
    gaps: list[int] = []
    for word in words:
        columns = band[:, max(0, round(word.x0)) : round(word.x1)].any(axis=0)
        runs = _runs(columns)
        gaps.extend(start - end for (_, end), (start, _) in pairwise(runs))
    return tuple(gaps)


def inner_box(panel: Box) -> Box:
    """A panel without its border and rounded corners (they would read as ink)."""
    margin = max(4, round(0.02 * min(panel.width, panel.height)))
    return Box(panel.top + margin, panel.bottom - margin, panel.left + margin, panel.right - margin)
