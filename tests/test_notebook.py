"""The notebook renderer: valid nbformat v4, one section per chunk, self-contained images."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from PIL import Image

from vid2learn_dagster import __version__
from vid2learn_dagster.notebook.rendering import (
    NO_SECTIONS,
    Cell,
    Section,
    VideoSource,
    clock,
    count_sections,
    escape_markdown,
    notebook_outline,
    render_notebook,
    timestamp_url,
    write_notebook,
)
from vid2learn_dagster.storage.tables import conform, empty_table

NO_SPEECH = "*(no speech)*"


def sections_from_chunks(chunks: pd.DataFrame) -> list[Section]:
    """Sections to render: one per row of the `chunks` table, in time order (the shape of
    the first notebook; the pipeline's own sections come from `notebook.composition`).

    A slide is shown only where it changes: consecutive chunks of one long scene share
    a keyframe, and repeating it would multiply the notebook's size.
    """
    sections = []
    previous_image = None
    ordered = chunks.sort_values(["start", "chunk_id"], kind="stable")
    for number, row in enumerate(ordered.itertuples(index=False), start=1):
        text = "" if row.text is None or pd.isna(row.text) else str(row.text).strip()
        image = None if row.image_path is None or pd.isna(row.image_path) else row.image_path
        sections.append(
            Section(
                title=f"Part {number} ({clock(row.start)}-{clock(row.end)})",
                start=float(row.start),
                end=float(row.end),
                markdown=escape_markdown(text) if text else NO_SPEECH,
                image_path=Path(image) if image and image != previous_image else None,
            )
        )
        previous_image = image
    return sections


YOUTUBE = VideoSource(
    video_id="dQw4w9WgXcQ",
    url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    title="Intro to $x$ and __init__",
    uploader="Some Lecturer",
    duration=3723.4,
    upload_date="20240501",
    license="Creative Commons Attribution license (reuse allowed)",
    extractor="youtube",
)
DIRECT = VideoSource(
    video_id="a",
    url="http://127.0.0.1:8765/a.mp4",
    title="a",
    extractor="generic",
)


def _image(path: Path, color: str) -> Path:
    Image.new("RGB", (64, 36), color).save(path)
    return path


@pytest.fixture
def chunks(tmp_path: Path) -> pd.DataFrame:
    """Four chunks over three slides; the third chunk has no speech, the last two share a slide."""
    slides = [
        _image(tmp_path / "scene-0001.jpg", "red"),
        _image(tmp_path / "scene-0002.png", "green"),
        _image(tmp_path / "scene-0003.jpg", "blue"),
    ]
    rows = [
        (0, 1, 0.0, 30.0, "Welcome. Prices went from $5 to $10.", [0, 1], slides[0]),
        (1, 2, 30.0, 65.2, "Now the *second* slide.", [2], slides[1]),
        (2, 3, 65.2, 92.0, "", [], slides[2]),
        (3, 3, 92.0, 3700.5, "Still on the same slide.", [3], slides[2]),
    ]
    # Shuffled on purpose: sections follow time, not row order.
    table = pd.DataFrame(
        [
            {
                "video_id": "dQw4w9WgXcQ",
                "chunk_id": cid,
                "scene": scene,
                "start": start,
                "end": end,
                "text": text,
                "segment_ids": ids,
                "image_path": str(path),
                "speaker": "SPEAKER_00",
            }
            for cid, scene, start, end, text, ids, path in rows
        ]
    ).iloc[[2, 0, 3, 1]]
    return conform(table, "chunks")


def _headers(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if "vid2learn" in c.metadata]


def _text_after(nb: nbformat.NotebookNode, header: nbformat.NotebookNode) -> str:
    return nb.cells[nb.cells.index(header) + 1].source


def test_one_valid_section_per_chunk_in_time_order(chunks: pd.DataFrame) -> None:
    nb = render_notebook(YOUTUBE, sections_from_chunks(chunks))
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert count_sections(nb) == len(chunks) == 4
    headings = [h.source.splitlines()[0] for h in _headers(nb)]
    assert headings == [
        "## Part 1 (0:00-0:30)",
        "## Part 2 (0:30-1:05)",
        "## Part 3 (1:05-1:32)",
        "## Part 4 (1:32-1:01:40)",
    ]


def test_keyframes_are_attachments_that_decode_to_the_image_bytes(
    chunks: pd.DataFrame,
) -> None:
    nb = render_notebook(YOUTUBE, sections_from_chunks(chunks))
    headers = _headers(nb)
    expected = {
        0: ("scene-0001.jpg", "image/jpeg"),
        1: ("scene-0002.png", "image/png"),
        2: ("scene-0003.jpg", "image/jpeg"),
    }
    for index, (name, mime) in expected.items():
        cell = headers[index]
        assert list(cell.attachments) == [name]
        data = base64.b64decode(cell.attachments[name][mime])
        assert data == Path(chunks.sort_values("start").image_path.iloc[index]).read_bytes()
        assert f"](attachment:{name})" in cell.source
    # Part 4 shows the slide of part 3 again: it is not embedded a second time.
    assert "attachments" not in headers[3]
    assert "attachment:" not in headers[3].source


def test_speech_is_literal_text_and_silence_is_marked(chunks: pd.DataFrame) -> None:
    nb = render_notebook(YOUTUBE, sections_from_chunks(chunks))
    headers = _headers(nb)
    # `$` would start a formula and `*` emphasis in Jupyter's markdown.
    assert _text_after(nb, headers[0]) == r"Welcome. Prices went from \\$5 to \\$10."
    assert _text_after(nb, headers[1]) == r"Now the \*second\* slide."
    assert _text_after(nb, headers[2]) == NO_SPEECH
    assert "attachment:scene-0003.jpg" in headers[2].source


def test_nbconvert_renders_keyframes_and_literal_dollars(chunks: pd.DataFrame) -> None:
    """What a reader sees: the attachment becomes an inline image, `$` stays a dollar."""
    nbconvert = pytest.importorskip("nbconvert")
    nb = render_notebook(YOUTUBE, sections_from_chunks(chunks))
    html, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    jpeg = base64.b64encode(Path(chunks.image_path.iloc[0]).read_bytes()).decode()
    assert html.count("<img") == 3
    assert f'src="data:image/jpeg;base64,{jpeg}"' in html
    # MathJax (processEscapes) shows `\$` as a dollar sign; a bare `$5 to $10` would be math.
    assert r"Prices went from \$5 to \$10." in html


def test_timestamp_links_youtube_and_direct_media() -> None:
    assert timestamp_url(YOUTUBE, 65.9) == "https://youtu.be/dQw4w9WgXcQ?t=65"
    assert timestamp_url(DIRECT, 65.9) == "http://127.0.0.1:8765/a.mp4#t=65"
    fragment = VideoSource(video_id="b", url="http://127.0.0.1/b.mp4#t=3", title="b")
    assert timestamp_url(fragment, 0) == "http://127.0.0.1/b.mp4#t=0"


def test_section_headers_link_to_their_start(chunks: pd.DataFrame) -> None:
    nb = render_notebook(DIRECT, sections_from_chunks(chunks))
    header = _headers(nb)[1]
    assert "[▶ Watch 0:30-1:05](http://127.0.0.1:8765/a.mp4#t=30)" in header.source


def test_title_cell_describes_the_source() -> None:
    nb = render_notebook(YOUTUBE, [])
    title = nb.cells[0].source
    assert title.startswith(r"# Intro to \\$x\\$ and \_\_init\_\_")
    assert "**Uploader:** Some Lecturer" in title
    assert "**Duration:** 1:02:03" in title
    assert "**Uploaded:** 2024-05-01" in title
    assert "**Licence:** Creative Commons Attribution license (reuse allowed)" in title
    assert "<https://www.youtube.com/watch?v=dQw4w9WgXcQ>" in title
    assert "**Licence:** not stated" in render_notebook(DIRECT, []).cells[0].source


def test_notebook_metadata() -> None:
    nb = render_notebook(YOUTUBE, [])
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.language_info.name == "python"
    assert nb.metadata.vid2learn == {
        "video_id": "dQw4w9WgXcQ",
        "source_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "generator_version": __version__,
    }


def test_empty_chunks_table_gives_title_and_note() -> None:
    nb = render_notebook(DIRECT, sections_from_chunks(empty_table("chunks")))
    nbformat.validate(nb)
    assert [c.cell_type for c in nb.cells] == ["markdown", "markdown"]
    assert nb.cells[0].source.startswith("# a")
    assert nb.cells[1].source == NO_SECTIONS
    assert count_sections(nb) == 0
    assert notebook_outline(nb) == ""


def test_outline_lists_every_section(chunks: pd.DataFrame) -> None:
    outline = notebook_outline(render_notebook(YOUTUBE, sections_from_chunks(chunks)))
    assert outline.splitlines() == [
        "- [0:00](https://youtu.be/dQw4w9WgXcQ?t=0) Part 1 (0:00-0:30)",
        "- [0:30](https://youtu.be/dQw4w9WgXcQ?t=30) Part 2 (0:30-1:05)",
        "- [1:05](https://youtu.be/dQw4w9WgXcQ?t=65) Part 3 (1:05-1:32)",
        "- [1:32](https://youtu.be/dQw4w9WgXcQ?t=92) Part 4 (1:32-1:01:40)",
    ]


def test_llm_style_parts_render_in_order(tmp_path: Path) -> None:
    """The issue-3 notebook: intro, a topic with a formula, code and a hidden answer, conclusion."""
    topic = Section(
        title="Gradient descent",
        start=12.0,
        end=80.0,
        markdown="The update is $$w \\leftarrow w - \\eta \\nabla L$$",
        image_path=_image(tmp_path / "slide.png", "white"),
        code=("w = w - lr * grad",),
        extra_cells=(
            Cell("**Quiz:** what does $\\eta$ control?"),
            Cell("**Answer:** the step size.", hidden=True),
        ),
    )
    nb = render_notebook(YOUTUBE, [topic], intro_markdown="Intro.", conclusion_markdown="Bye.")
    nbformat.validate(nb)
    first_lines = [(c.cell_type, c.source.split("\n")[0]) for c in nb.cells]
    assert first_lines == [
        ("markdown", r"# Intro to \\$x\\$ and \_\_init\_\_"),
        ("markdown", "Intro."),
        ("markdown", "## Gradient descent"),
        ("markdown", topic.markdown),
        ("code", "w = w - lr * grad"),
        ("markdown", "**Quiz:** what does $\\eta$ control?"),
        ("markdown", "**Answer:** the step size."),
        ("markdown", "Bye."),
    ]
    assert nb.cells[6].metadata.jupyter.source_hidden is True
    assert "jupyter" not in nb.cells[5].metadata


def test_unsupported_image_type_is_refused(tmp_path: Path) -> None:
    gif = tmp_path / "scene.gif"
    Image.new("RGB", (4, 4)).save(gif)
    with pytest.raises(ValueError, match="not JPEG or PNG"):
        render_notebook(DIRECT, [Section("s", 0, 1, "x", image_path=gif)])


def test_rendering_is_deterministic(chunks: pd.DataFrame) -> None:
    first = render_notebook(YOUTUBE, sections_from_chunks(chunks))
    second = render_notebook(YOUTUBE, sections_from_chunks(chunks))
    assert nbformat.writes(first) == nbformat.writes(second)


def test_source_from_a_source_video_row() -> None:
    row = conform(
        pd.DataFrame(
            [
                {
                    "video_id": "dQw4w9WgXcQ",
                    "url": "https://rr1.googlevideo.com/videoplayback?x",
                    "webpage_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                    "extractor": "youtube",
                    "title": "T",
                    "duration": 10.0,
                    "uploader": None,
                    "upload_date": "20240501",
                    "license": None,
                    "width": 1280,
                    "height": 720,
                    "fps": 25.0,
                    "video_path": "/m/v.mp4",
                    "sha256": "0" * 64,
                }
            ]
        ),
        "source_video",
    ).iloc[0]
    assert VideoSource.from_record(row) == VideoSource(
        video_id="dQw4w9WgXcQ",
        url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        title="T",
        duration=10.0,
        upload_date="20240501",
        extractor="youtube",
    )


def test_write_is_atomic_and_round_trips(chunks: pd.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / "out"
    path = out / "notebook.ipynb"
    nb = render_notebook(YOUTUBE, sections_from_chunks(chunks))
    write_notebook(nb, path)
    assert [p.name for p in out.iterdir()] == ["notebook.ipynb"]
    assert nbformat.read(path, as_version=4) == nb
    assert json.loads(path.read_text())["nbformat"] == 4


def test_invalid_notebook_never_reaches_disk(tmp_path: Path) -> None:
    path = tmp_path / "notebook.ipynb"
    write_notebook(render_notebook(DIRECT, []), path)
    before = path.read_bytes()
    broken = render_notebook(DIRECT, [])
    broken.cells[0]["id"] = "not a valid id!"
    with pytest.raises(nbformat.ValidationError):
        write_notebook(broken, path)
    with pytest.raises(nbformat.ValidationError):
        write_notebook(broken, tmp_path / "new.ipynb")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["notebook.ipynb"]
