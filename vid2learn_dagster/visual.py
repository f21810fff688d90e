"""What a keyframe shows: its on-screen text, whether it holds code, and the code itself.

Pure logic around an injected line recogniser (an OCR engine or nothing), so the layout
rules are testable without a model. What made OCR of code slides accurate here
(shared/FACTS.md, OCR): find the code panel and read it against its own background; turn
every colour into dark-on-light ink by its distance from that background (this also
inverts dark editor themes); recognise each text line on its own crop; and measure
indentation from where the ink starts, in pixels, divided by the width of a space.
Indentation taken from OCR box widths fails on proportional fonts (2 spaces for 4).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from vid2learn_dagster.tables import conform

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


@dataclass(frozen=True)
class VisualDescription:
    """One keyframe described (a row of the `visual_descriptions` table)."""

    description: str
    on_screen_text: str
    has_code: bool
    code: str
    backend: str


@dataclass(frozen=True)
class Word:
    """A recognised word and its horizontal ink extent in pixels of the crop it came from."""

    text: str
    x0: float
    x1: float


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


# ---------------------------------------------------------------------------------------
# Image pre-processing


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


def line_crop(strength: np.ndarray, box: Box, skip: int = 0) -> tuple[np.ndarray, float]:
    """Dark-on-light crop of one line, scaled for the recogniser; returns (crop, scale)."""
    import cv2

    crop = strength[box.top : box.bottom, box.left + skip : box.right].astype(np.float32)
    crop = 255 - np.clip(crop * (255 / max(float(crop.max()), 1.0)), 0, 255)
    scale = float(np.clip(TARGET_LINE_HEIGHT / box.height, 1.0, 4.0))
    if scale > 1.0:
        size = (round(crop.shape[1] * scale), round(crop.shape[0] * scale))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
    padded = np.pad(np.clip(crop, 0, 255), CROP_PADDING, constant_values=255)
    return padded.astype(np.uint8), scale


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
    for box in line_boxes(ink, region):
        # No bullets in code panels: a short first token ("n * n") can look like one.
        skip = 0 if in_panel else bullet_width(ink, box)
        crop, scale = line_crop(strength, box, skip)
        offset = box.left + skip - CROP_PADDING / scale
        words = tuple(
            Word(w.text, offset + w.x0 / scale, offset + w.x1 / scale)
            for w in recognise(crop)
            if w.text.strip()
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


def analyse_image(rgb: np.ndarray, recognise: Recognizer, backend: str) -> VisualDescription:
    """Read a frame: page text and each panel on its own background, then describe it."""
    height, width = rgb.shape[:2]
    panels = find_panels(rgb, background_colour(rgb))
    page = read_lines(rgb, Box(0, height, 0, width), recognise, in_panel=False, exclude=panels)
    blocks = [read_lines(rgb, inner_box(p), recognise, in_panel=True) for p in panels]
    return describe_lines(page, [b for b in blocks if b], backend)


# ---------------------------------------------------------------------------------------
# OCR post-processing: layout, code detection, description


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


_CODE_SIGNS = re.compile(
    r"[{}\[\];]|\w\(|\(\)|::|->|=>|:=|[=!<>]=|\+\+|&&|\|\||//|/\*|^\s*#|^\s*--\s"
    r"|\w\s*=\s*\S|\w\.\w+\(|^\s*(def|class|if|elif|else|for|while|with|try|except)\b.*:\s*$"
    r"|^\s*(import|from|package|func|var|let|const|return|module|struct)\s+\w"
)
_LANGUAGES: dict[str, re.Pattern[str]] = {
    "Python": re.compile(
        r"^\s*(def \w+\(|class \w+.*:$|from \w+ import|elif |print\(|for \w+ in .*:$)"
        r"|self\.|\brange\(|\[.+ for \w+ in .+\]|\.append\("
    ),
    "Go": re.compile(r"^\s*(func |package \w+|type \w+ struct)|:= "),
    "Haskell": re.compile(r"^\s*(module \w+ where|\w+ :: |import [\w.]+ \()"),
    "JavaScript": re.compile(r"\b(const|let|function)\b .*[=(]|=> |console\.log"),
    "Rust": re.compile(r"^\s*(fn \w+|let mut |use \w+::|impl )|println!"),
    "C": re.compile(r"^\s*#include|\b(int|void|char) \w+\(|printf\("),
    "Java": re.compile(r"\b(public|private) (static )?\w+|System\.out"),
    "SQL": re.compile(r"^\s*(SELECT|FROM|WHERE|INSERT|CREATE TABLE)\b", re.IGNORECASE),
}


def looks_like_code(text: str) -> bool:
    """One line with a sign of program text: brackets, operators, calls, keywords."""
    return bool(_CODE_SIGNS.search(text))


def code_language(code: str) -> str:
    """The language most lines look like, or "" when none stands out."""
    lines = code.splitlines()
    scores = {name: sum(bool(p.search(line)) for line in lines) for name, p in _LANGUAGES.items()}
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] else ""


def is_code_block(lines: Sequence[TextLine], in_panel: bool) -> bool:
    """Code when most lines look like it (a third in a panel of its own background,
    where comments and blank-ish lines are common)."""
    if not lines:
        return False
    share = sum(looks_like_code(line.text) for line in lines) / len(lines)
    return share >= (0.34 if in_panel else 0.5) and (in_panel or len(lines) >= 2)


def _code_run(body: Sequence[TextLine]) -> tuple[int, int]:
    """[start, end) of the lines of `body` that form a code listing ((0, 0) if none)."""
    if is_code_block(body, in_panel=False) and (
        sum(looks_like_code(line.text) for line in body) >= 0.6 * len(body)
    ):
        return 0, len(body)
    marks = [index for index, line in enumerate(body) if looks_like_code(line.text)]
    if marks and is_code_block(body[marks[0] : marks[-1] + 1], in_panel=False):
        return marks[0], marks[-1] + 1
    return 0, 0


def _title(page: Sequence[TextLine], others: Sequence[TextLine]) -> str:
    """The first page line, when it is set larger than the other text (a slide title)."""
    rest = _median([line.box.height for line in [*page[1:], *others]], 0.0)
    if not page or page[0].bullet or not rest:
        return ""
    return page[0].text if page[0].box.height >= 1.25 * rest else ""


def describe_lines(
    page: Sequence[TextLine], panels: Sequence[Sequence[TextLine]], backend: str
) -> VisualDescription:
    """Text in reading order, code listings laid out, and a one-paragraph description."""
    title = _title(page, [line for block in panels for line in block])
    body = list(page[1:] if title else page)
    start, end = _code_run([line for line in body if not line.bullet])
    plain = [line for line in body if not line.bullet]
    code_lines = plain[start:end]
    # Pieces of the screen in reading order: (top, text, is code).
    pieces: list[tuple[int, str, bool]] = []
    if title:
        pieces.append((page[0].box.top, title, False))
    if code_lines:
        pieces.append((code_lines[0].box.top, layout_code(code_lines), True))
    for line in body:
        if line not in code_lines:
            pieces.append((line.box.top, ("- " if line.bullet else "") + line.text, False))
    for block in panels:
        code = is_code_block(block, in_panel=True)
        text = layout_code(block) if code else "\n".join(line.text for line in block)
        pieces.append((block[0].box.top, text, code))
    pieces.sort(key=lambda piece: piece[0])
    code = "\n\n".join(text for _, text, is_code in pieces if is_code)
    bullets = sum(line.bullet for line in body)
    other = len(body) - bullets - len(code_lines)
    other += sum(len(block) for block in panels if not is_code_block(block, in_panel=True))
    return VisualDescription(
        description=_description(title, bullets, other, code),
        on_screen_text="\n".join(text for _, text, _ in pieces),
        has_code=bool(code),
        code=code,
        backend=backend,
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _description(title: str, bullets: int, other: int, code: str) -> str:
    parts = []
    if bullets:
        parts.append(_plural(bullets, "bullet point"))
    if other:
        parts.append(_plural(other, "line") + " of text")
    if code:
        language = code_language(code)
        count = len([line for line in code.splitlines() if line.strip()])
        parts.append(f"a {language + ' ' if language else ''}code listing of {count} lines")
    if not title and not parts:
        return "A frame with no readable text."
    head = f"Slide titled '{title}'" if title else "A screen"
    listed = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    return f"{head} with {listed}." if listed else f"{head}."


# ---------------------------------------------------------------------------------------
# Vision-language model answers

VLM_PROMPT = (
    "This is a keyframe from a lecture or tutorial video. Answer in JSON with: "
    '"description": one paragraph saying what the frame shows (slide title, diagram, '
    "code, person, chart); "
    '"on_screen_text": all readable text, top to bottom, one line per line; '
    '"has_code": true if program code is shown; '
    '"code": the code exactly as shown, indentation kept, else "".'
)
VLM_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "description": {"type": "string"},
        "on_screen_text": {"type": "string"},
        "has_code": {"type": "boolean"},
        "code": {"type": "string"},
    },
    "required": ["description", "on_screen_text", "has_code", "code"],
}
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def parse_vlm_answer(answer: str, backend: str) -> VisualDescription:
    """A model's JSON answer as a description; text that is not JSON (truncated output,
    a model ignoring the schema) becomes the description rather than an error."""
    text = _FENCE.sub("", answer.strip())
    start, end = text.find("{"), text.rfind("}")
    try:
        data = json.loads(text[start : end + 1]) if start >= 0 < end else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        return VisualDescription(text, "", False, "", backend)
    code = str(data.get("code") or "").strip("\n")
    has_code = data.get("has_code")
    if isinstance(has_code, str):
        has_code = has_code.strip().lower() == "true"
    return VisualDescription(
        description=str(data.get("description") or "").strip(),
        on_screen_text=str(data.get("on_screen_text") or "").strip("\n"),
        has_code=bool(has_code) and bool(code),
        code=code if has_code else "",
        backend=backend,
    )


def description_table(
    video_id: str, keyframes: pd.DataFrame, descriptions: Sequence[VisualDescription]
) -> pd.DataFrame:
    """The `visual_descriptions` table: one row per keyframe, in the keyframes' order."""
    if len(keyframes) != len(descriptions):
        raise ValueError(f"{len(keyframes)} keyframes but {len(descriptions)} descriptions")
    rows = [
        {
            "video_id": video_id,
            "scene": int(frame.scene),
            "time": float(frame.time),
            "image_path": str(frame.image_path),
            **asdict(description),
        }
        for frame, description in zip(keyframes.itertuples(index=False), descriptions, strict=True)
    ]
    columns = ["video_id", "scene", "time", "image_path", *VisualDescription.__dataclass_fields__]
    return conform(pd.DataFrame(rows, columns=columns), "visual_descriptions")
