"""A frame read as a slide: its title, text in reading order, code listings and a
one-paragraph description, from the text lines of the page and of each panel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vid2learn_dagster.vision.code_detection import code_language, is_code_block, looks_like_code
from vid2learn_dagster.vision.descriptions import VisualDescription
from vid2learn_dagster.vision.indentation import layout_code
from vid2learn_dagster.vision.lines import (
    Box,
    Recognizer,
    TextLine,
    background_colour,
    find_panels,
    inner_box,
    read_lines,
)

# A title is set this much larger than the slide's other text, and is one of its first
# lines: a course band or kicker may sit above it in smaller type (issue 12's variants).
TITLE_SCALE = 1.25
TITLE_SEARCH_LINES = 2


def analyse_image(rgb: np.ndarray, recognise: Recognizer, backend: str) -> VisualDescription:
    """Read a frame: page text and each panel on its own background, then describe it."""
    height, width = rgb.shape[:2]
    panels = find_panels(rgb, background_colour(rgb))
    page = read_lines(rgb, Box(0, height, 0, width), recognise, in_panel=False, exclude=panels)
    blocks = [read_lines(rgb, inner_box(p), recognise, in_panel=True) for p in panels]
    return describe_lines(page, [b for b in blocks if b], backend)


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


def _title_index(page: Sequence[TextLine], others: Sequence[TextLine]) -> int | None:
    """Which of the first two page lines is the slide's title: the first set larger than
    the other text (a course band or kicker above a title is smaller than it), if any."""
    for index, line in enumerate(page[:TITLE_SEARCH_LINES]):
        heights = [x.box.height for x in [*page, *others] if x is not line]
        rest = float(np.median(heights)) if heights else 0.0
        if not line.bullet and rest and line.box.height >= TITLE_SCALE * rest:
            return index
    return None


def describe_lines(
    page: Sequence[TextLine], panels: Sequence[Sequence[TextLine]], backend: str
) -> VisualDescription:
    """Text in reading order, code listings laid out, and a one-paragraph description."""
    index = _title_index(page, [line for block in panels for line in block])
    title = "" if index is None else page[index].text
    body = [line for i, line in enumerate(page) if i != index]
    start, end = _code_run([line for line in body if not line.bullet])
    plain = [line for line in body if not line.bullet]
    code_lines = plain[start:end]
    # Pieces of the screen in reading order: (top, text, is code).
    pieces: list[tuple[int, str, bool]] = []
    if index is not None:
        pieces.append((page[index].box.top, title, False))
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
        title=title,
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
