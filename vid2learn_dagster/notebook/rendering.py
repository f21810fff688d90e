"""Render a teaching notebook (nbformat v4) from generic parts.

The issue-2 notebook (one section per transcript chunk) and the later LLM-written one
(introduction, one section per topic with code, formulas and a quiz, conclusion) share
this renderer: a stage only builds `Section`s. Keyframes are embedded as cell
attachments, so the `.ipynb` is one self-contained file that still opens after the media
folder is moved or deleted.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urldefrag

import nbformat
import pandas as pd
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from vid2learn_dagster import __version__
from vid2learn_dagster.storage.files import atomic_path

IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
NO_SECTIONS = "*This video has no sections: no speech and no keyframes were found.*"
# Cell metadata key marking a section's header cell, so outlines do not depend on parsing
# headings that an LLM-written section may also contain.
META_KEY = "vid2learn"


@dataclass(frozen=True)
class VideoSource:
    """What the title cell and timestamp links need to know about the video."""

    video_id: str
    url: str
    title: str
    uploader: str = ""
    duration: float | None = None
    upload_date: str = ""
    license: str = ""
    extractor: str = ""

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> VideoSource:
        """From a row of the `source_video` table (missing values become empty)."""

        def text(key: str) -> str:
            value = record.get(key)
            return "" if value is None or pd.isna(value) else str(value)

        duration = record.get("duration")
        return cls(
            video_id=text("video_id"),
            # The page a reader can open (a YouTube watch page), not the media stream URL.
            url=text("webpage_url") or text("url"),
            title=text("title") or text("video_id"),
            uploader=text("uploader"),
            duration=None if duration is None or pd.isna(duration) else float(duration),
            upload_date=text("upload_date"),
            license=text("license"),
            extractor=text("extractor"),
        )


@dataclass(frozen=True)
class Cell:
    """An extra cell a section carries (an exercise, a quiz question or its answer)."""

    source: str
    kind: Literal["markdown", "code"] = "markdown"
    # Collapsed in JupyterLab (`jupyter.source_hidden`), e.g. a quiz answer.
    hidden: bool = False


@dataclass(frozen=True)
class Section:
    """One part of the notebook, tied to a time range of the video.

    `markdown` is rendered as is (it may hold `$$` formulas); callers escape plain
    speech text with `escape_markdown`.
    """

    title: str
    start: float
    end: float
    markdown: str
    image_path: Path | None = None
    code: tuple[str, ...] = ()
    extra_cells: tuple[Cell, ...] = ()


def clock(seconds: float, *, hours: bool = False) -> str:
    """`m:ss`, or `h:mm:ss` past an hour or when `hours` is set (as video players show it)."""
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h or hours else f"{m}:{s:02d}"


def timestamp_url(source: VideoSource, seconds: float) -> str:
    """A link that opens the video at `seconds` (whole seconds, as players accept)."""
    t = max(0, int(seconds))
    if source.extractor.lower() == "youtube":
        return f"https://youtu.be/{source.video_id}?t={t}"
    # W3C media fragment: browsers start a direct media URL at #t=<seconds>.
    return f"{urldefrag(source.url).url}#t={t}"


def escape_markdown(text: str) -> str:
    """Plain text shown literally: `*`/`_` would start emphasis, `<` HTML, `$` a formula.

    `$` takes two backslashes: Jupyter's markdown step turns one into a bare `$`, which
    MathJax then pairs with the next `$` (jupyterlab/jupyterlab#8645); with two, MathJax
    receives `\\$` and prints a dollar sign (its `processEscapes`).
    """
    escaped = re.sub(r"([\\`*_{}\[\]<>#|~])", r"\\\1", text)
    return escaped.replace("$", r"\\$")


def render_notebook(
    source: VideoSource,
    sections: Sequence[Section],
    *,
    intro_markdown: str | None = None,
    glossary_markdown: str | None = None,
    conclusion_markdown: str | None = None,
) -> NotebookNode:
    """Title cell, optional introduction, one block per section, optional glossary and
    conclusion."""
    cells = [new_markdown_cell(_title_markdown(source))]
    if intro_markdown:
        cells.append(new_markdown_cell(intro_markdown))
    for number, section in enumerate(sections, start=1):
        cells.extend(_section_cells(source, section, number))
    if not sections:
        cells.append(new_markdown_cell(NO_SECTIONS))
    cells.extend(
        new_markdown_cell(text) for text in (glossary_markdown, conclusion_markdown) if text
    )
    # Stable ids (not nbformat's random ones): re-rendering the same video gives the same file.
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index:04d}"
    nb = new_notebook(cells=cells)
    nb.metadata.update(
        kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"},
        language_info={
            "name": "python",
            "file_extension": ".py",
            "mimetype": "text/x-python",
            "pygments_lexer": "ipython3",
            "codemirror_mode": {"name": "ipython", "version": 3},
        },
        **{
            META_KEY: {
                "video_id": source.video_id,
                "source_url": source.url,
                "generator_version": __version__,
            }
        },
    )
    return nb


def _title_markdown(source: VideoSource) -> str:
    facts = []
    if source.uploader:
        facts.append(f"- **Uploader:** {escape_markdown(source.uploader)}")
    if source.duration is not None:
        facts.append(f"- **Duration:** {clock(source.duration, hours=True)}")
    if source.upload_date:
        facts.append(f"- **Uploaded:** {_iso_date(source.upload_date)}")
    # Always shown: whoever reuses the notebook needs to know the terms, or that none were given.
    facts.append(f"- **Licence:** {escape_markdown(source.license) or 'not stated'}")
    facts.append(f"- **Source:** <{source.url}>")
    return f"# {escape_markdown(source.title)}\n\n" + "\n".join(facts)


def _iso_date(date: str) -> str:
    """yt-dlp's `YYYYMMDD` as `YYYY-MM-DD`; anything else unchanged."""
    return f"{date[:4]}-{date[4:6]}-{date[6:]}" if re.fullmatch(r"\d{8}", date) else date


def _section_cells(source: VideoSource, section: Section, number: int) -> list[NotebookNode]:
    link = timestamp_url(source, section.start)
    span = f"{clock(section.start)}-{clock(section.end)}"
    header = f"## {section.title}\n\n[▶ Watch {span}]({link})"
    attachments = {}
    if section.image_path is not None:
        name, bundle = _attachment(section.image_path)
        attachments[name] = bundle
        header += f"\n\n![Keyframe at {clock(section.start)}](attachment:{name})"
    head = new_markdown_cell(header)
    if attachments:
        head["attachments"] = attachments
    head.metadata[META_KEY] = {
        "section": number,
        "title": section.title,
        "start": section.start,
        "end": section.end,
        "url": link,
    }
    cells = [head, new_markdown_cell(section.markdown)]
    cells.extend(new_code_cell(code) for code in section.code)
    cells.extend(_extra_cell(extra) for extra in section.extra_cells)
    return cells


def _attachment(path: Path) -> tuple[str, dict[str, str]]:
    """Attachment name and mime bundle; the name is reduced to characters a link may hold."""
    mime = IMAGE_TYPES.get(path.suffix.lower())
    if mime is None:
        raise ValueError(f"keyframe {path} is not JPEG or PNG (by suffix)")
    name = re.sub(r"[^A-Za-z0-9._-]", "-", path.name)
    return name, {mime: base64.b64encode(path.read_bytes()).decode("ascii")}


def _extra_cell(extra: Cell) -> NotebookNode:
    cell = new_code_cell(extra.source) if extra.kind == "code" else new_markdown_cell(extra.source)
    if extra.hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def write_notebook(nb: NotebookNode, path: Path) -> None:
    """Validate, then write atomically: an invalid or half-written notebook never lands.

    `nbformat.write` only logs schema errors, so validation comes first and raises.
    """
    nbformat.validate(nb)
    with atomic_path(path) as tmp:
        nbformat.write(nb, tmp)


def _section_headers(nb: NotebookNode) -> list[dict]:
    return [cell.metadata[META_KEY] for cell in nb.cells if META_KEY in cell.metadata]


def count_sections(nb: NotebookNode) -> int:
    return len(_section_headers(nb))


def notebook_outline(nb: NotebookNode) -> str:
    """Markdown list of section headings with timestamp links (Dagster metadata preview)."""
    return "\n".join(
        f"- [{clock(h['start'])}]({h['url']}) {h['title']}" for h in _section_headers(nb)
    )
