"""The export files (issue 13 item 3) read back with the parsers players use: SRT (`srt`),
WebVTT (`webvtt-py`), JSON; the timeline and the code file hold every segment and version."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import srt
import webvtt

from vid2learn_dagster.exports.files import export_texts, write_exports
from vid2learn_dagster.notebook.rendering import VideoSource

SOURCE = VideoSource(video_id="v", url="http://127.0.0.1:1/v.mp4", title="Lists")
TRANSCRIPT = pd.DataFrame(
    {
        "start": [0.0, 4.5, 70.25],
        "end": [4.0, 6.0, 3725.5],
        "text": [" A list keeps order.", " Can it hold --> arrows?", " Yes."],
        "speaker": ["SPEAKER_00", "SPEAKER_01", None],
    }
)
SEGMENTS = pd.DataFrame(
    {
        "start": [0.0, 10.0, 20.0],
        "end": [10.0, 20.0, 30.0],
        "kind": ["LEARNING", "CODE", "CODE"],
        "title": ["Lists", "Squares", "Squares"],
        "snippet": [None, 1, 1],
        "version": [None, 1, 2],
    }
)
SNIPPETS = pd.DataFrame(
    {
        "snippet": [1, 1],
        "version": [1, 2],
        "start": [10.0, 20.0],
        "end": [20.0, 30.0],
        "code": ["squares = []", "squares = []\nsquares.append(4)"],
        "language": ["Python", "Python"],
    }
)


def written(tmp_path: Path, snippets: pd.DataFrame = SNIPPETS) -> dict[str, Path]:
    return write_exports(tmp_path, export_texts(SOURCE, SEGMENTS, snippets, TRANSCRIPT))


def test_subtitles_parse_with_speaker_names_and_times(tmp_path):
    paths = written(tmp_path)
    cues = list(srt.parse(paths["srt"].read_text()))
    assert [c.content for c in cues] == [
        "Speaker 1: A list keeps order.",
        "Speaker 2: Can it hold --> arrows?",
        "Yes.",
    ]
    assert cues[2].end.total_seconds() == 3725.5
    captions = webvtt.read(str(paths["vtt"]))
    assert [(c.start, c.end) for c in captions][2] == ("00:01:10.250", "01:02:05.500")
    assert [c.voice for c in captions] == ["Speaker 1", "Speaker 2", None]
    # Escaped as cue text must be; a player shows the words as said.
    assert html.unescape(captions[1].text) == "Can it hold --> arrows?"


def test_the_timeline_lists_every_segment_with_a_link(tmp_path):
    paths = written(tmp_path)
    data = json.loads(paths["timeline_json"].read_text())
    assert [(s["kind"], s["snippet"], s["version"]) for s in data["segments"]] == [
        ("LEARNING", None, None),
        ("CODE", 1, 1),
        ("CODE", 1, 2),
    ]
    assert data["segments"][1]["url"] == "http://127.0.0.1:1/v.mp4#t=10"
    markdown = paths["timeline_md"].read_text().splitlines()
    assert markdown[2] == "- [0:00-0:10](http://127.0.0.1:1/v.mp4#t=0) **LEARNING** Lists"
    assert markdown[4].endswith("**CODE** Squares (code 1, version 2)")


def test_the_code_file_holds_every_version_in_order_under_its_time(tmp_path):
    paths = written(tmp_path)
    assert paths["code"].name == "v_code.py"
    text = paths["code"].read_text()
    assert text.index("# snippet 1, version 1, on screen 0:10-0:20") < text.index(
        "# snippet 1, version 2, on screen 0:20-0:30"
    )
    assert "squares.append(4)" in text
    compile(text, "v_code.py", "exec")  # comments and code: a Python file (never run)
    assert "code" not in written(tmp_path / "none", SNIPPETS.iloc[0:0])
