"""Keyframe descriptions: code read back from real screenshots and the sample lecture's
slides (character error rate against the exact source), code told apart from prose, text
in reading order, and VLM answers parsed into the visual_descriptions table."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image, ImageDraw, ImageFont

from resources.vision.reader import VisionResource
from vid2learn_dagster.ingest.media import find_tool
from vid2learn_dagster.quality.evaluation import character_error_rate
from vid2learn_dagster.sample.generate import Slide, render_slide
from vid2learn_dagster.storage.tables import SCHEMAS
from vid2learn_dagster.vision.descriptions import VisualDescription, description_table
from vid2learn_dagster.vision.vlm import parse_vlm_answer

SAMPLE = Path(__file__).resolve().parents[1] / "vid2learn_dagster" / "sample"
FONTS = Path("/usr/share/fonts/truetype/dejavu")
MAX_CER = 0.10


@pytest.fixture(scope="session")
def ocr() -> VisionResource:
    """The OCR backend every machine can run (the engine loads once, on first use)."""
    return VisionResource(backend="ocr", ocr_engine="tesseract")


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    path = FONTS / name
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def _slide(path: Path, title: str, lines: list[str], *, mono: bool = False) -> Path:
    """A 1280x720 slide: a large title, then one text line every 60 px."""
    image = Image.new("RGB", (1280, 720), (250, 250, 247))
    draw = ImageDraw.Draw(image)
    draw.text((80, 50), title, font=_font("DejaVuSans-Bold.ttf", 52), fill=(32, 86, 160))
    body = _font("DejaVuSansMono.ttf" if mono else "DejaVuSans.ttf", 32)
    for index, line in enumerate(lines):
        draw.text((80, 170 + 60 * index), line, font=body, fill=(20, 24, 32))
    image.save(path)
    return path


@pytest.mark.parametrize(
    ("image", "source", "language"),
    [("tab.png", "tab.go", "Go"), ("haskell.png", "artichoke.hs", "Haskell")],
)
def test_editor_screenshot_reads_back_as_its_source(
    ocr: VisionResource, shared_data: Path, image: str, source: str, language: str
) -> None:
    # Proportional font, syntax colours on a dark theme, tabs shown 4 spaces wide.
    [frame] = ocr.describe([shared_data / "code" / image])
    reference = (shared_data / "code" / source).read_text().expandtabs(4).strip("\n")
    assert frame.has_code
    assert character_error_rate(reference, frame.code) <= MAX_CER
    assert f"{language} code listing" in frame.description
    assert frame.backend == ocr.model_id


@pytest.fixture(scope="session")
def lecture_frames(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[dict, Path]]:
    """Each sample slide's frame at the middle of its time on screen."""
    truth = json.loads((SAMPLE / "lecture.json").read_text())
    folder = tmp_path_factory.mktemp("lecture-frames")
    frames = []
    for slide in truth["slides"]:
        path = folder / f"slide{slide['index']}.png"
        middle = (slide["start"] + slide["end"]) / 2
        video = str(SAMPLE / "lecture.mp4")
        seek = ["-v", "error", "-ss", f"{middle:.3f}", "-i", video]
        subprocess.run([find_tool("ffmpeg"), *seek, "-frames:v", "1", str(path)], check=True)
        frames.append((slide, path))
    return frames


def test_sample_lecture_slides(
    ocr: VisionResource, lecture_frames: list[tuple[dict, Path]]
) -> None:
    # One batch for the whole video, as the pipeline calls it.
    descriptions = ocr.describe([path for _, path in lecture_frames])
    assert len(descriptions) == len(lecture_frames)
    for (slide, _), frame in zip(lecture_frames, descriptions, strict=True):
        assert frame.has_code == bool(slide["code"]), slide["title"]
        if slide["code"]:
            assert character_error_rate(slide["code"].rstrip("\n"), frame.code) <= MAX_CER
            assert "Python code listing" in frame.description
        title = frame.on_screen_text.splitlines()[0]
        assert character_error_rate(slide["title"], title) <= MAX_CER
        if slide["index"] > 0 and not slide["code"]:
            assert f"with {len(slide['body'])} bullet point" in frame.description


def test_prose_slide_is_text_in_reading_order(ocr: VisionResource, tmp_path: Path) -> None:
    lines = [
        "Lists keep items in the order they were added",
        "Dictionaries map each key to one value",
        "Sets hold every distinct item only once",
        "Tuples cannot change after they are made",
        "Choose the type that matches the question",
    ]
    [frame] = ocr.describe([_slide(tmp_path / "prose.png", "Built-in collections", lines)])
    assert not frame.has_code
    assert frame.code == ""
    expected = "\n".join(["Built-in collections", *lines])
    assert character_error_rate(expected, frame.on_screen_text) <= 0.05
    assert frame.description.startswith("Slide titled 'Built-in collections'")
    assert frame.title == "Built-in collections"


@pytest.mark.parametrize("is_title", [True, False])
def test_the_title_is_the_larger_text_under_a_course_band(
    ocr: VisionResource, tmp_path: Path, is_title: bool
) -> None:
    """A band of small type above the title (a course template) is text, not the title."""
    slide = Slide("Searching a Sorted List", (), body=("Linear search and binary search",))
    path = tmp_path / "band.png"
    render_slide(slide, is_title, header="CS 101 - Algorithms - Week 3").save(path)
    [frame] = ocr.describe([path])
    assert frame.title == "Searching a Sorted List"
    if is_title:  # on a content slide the reader sees no text in the band's colour
        assert "CS 101 - Algorithms - Week 3" in frame.on_screen_text


def test_code_rendered_without_a_panel_keeps_indentation(
    ocr: VisionResource, tmp_path: Path
) -> None:
    code = [
        "def mean(values):",
        "    if not values:",
        "        return 0.0",
        "    total = sum(values)",
        "    return total / len(values)",
    ]
    [frame] = ocr.describe([_slide(tmp_path / "code.png", "The mean", code, mono=True)])
    assert frame.has_code
    assert character_error_rate("\n".join(code), frame.code) <= MAX_CER
    assert frame.on_screen_text.splitlines()[0] == "The mean"


def test_describe_nothing_loads_nothing(ocr: VisionResource) -> None:
    assert ocr.describe([]) == []


def test_model_answers_parse_into_descriptions() -> None:
    fenced = '```json\n{"description": "A slide", "on_screen_text": "x = 1", '
    fenced += '"has_code": "true", "code": "x = 1\\n"}\n```'
    parsed = parse_vlm_answer(fenced, "vllm:m")
    assert parsed == VisualDescription("A slide", "x = 1", True, "x = 1", "vllm:m")
    # No code despite has_code, or truncated JSON: nothing claims to be code.
    empty = parse_vlm_answer('{"description": "d", "has_code": true, "code": ""}', "b")
    assert not empty.has_code
    truncated = parse_vlm_answer('{"description": "A slide with', "b")
    assert truncated == VisualDescription('{"description": "A slide with', "", False, "", "b")


def test_description_table_follows_keyframes() -> None:
    keyframes = pd.DataFrame(
        {"scene": [0, 1], "time": [1.5, 9.0], "image_path": ["a.png", "b.png"]}
    )
    described = [
        VisualDescription("Slide titled 'A'.", "A", False, "", "ocr:t"),
        VisualDescription("Code.", "x = 1", True, "x = 1", "ocr:t"),
    ]
    table = description_table("vid", keyframes, described)
    assert list(table.columns) == SCHEMAS["visual_descriptions"].names
    assert table["has_code"].tolist() == [False, True]
    assert table["scene"].tolist() == [0, 1]
    with pytest.raises(ValueError, match="2 keyframes but 1"):
        description_table("vid", keyframes, described[:1])


def test_openai_backend_sends_each_frame_with_the_schema_and_parses_the_answers(tmp_path):
    """No vision-language model runs on these machines (shared/FACTS.md), so a loopback
    server stands in for `vllm serve`: it records what the real client sends (through the
    `openai` SDK) and answers as a VLM would. A first 503 shows the SDK's retry."""
    import http.server
    import threading

    received: list[dict] = []
    answer = {
        "description": "A slide.",
        "on_screen_text": "Lists",
        "has_code": True,
        "code": "x = [1]",
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append(body)
            status = 503 if len(received) == 1 else 200
            reply = {
                "id": "1",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": json.dumps(answer)},
                    }
                ],
            }
            data = json.dumps(reply if status == 200 else {"error": "busy"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        frame = _slide(tmp_path / "frame.png", "Lists", ["x = [1]"])
        vision = VisionResource(
            backend="openai",
            base_url=f"http://127.0.0.1:{server.server_port}/v1",
            vlm_model="Qwen/Qwen2.5-VL-7B-Instruct",
        )
        (description,) = vision.describe([frame])
    finally:
        server.shutdown()
    assert description.code == "x = [1]" and description.has_code
    assert description.on_screen_text == "Lists"
    assert len(received) == 2  # the 503, then the retry
    content = received[-1]["messages"][0]["content"]
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert received[-1]["response_format"]["json_schema"]["schema"]["required"]
    assert received[-1]["model"] == "Qwen/Qwen2.5-VL-7B-Instruct"
