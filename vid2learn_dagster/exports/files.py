"""The export files of one video, written atomically beside its notebook (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vid2learn_dagster.exports.subtitles import srt_subtitles, vtt_subtitles
from vid2learn_dagster.exports.timeline import code_file, timeline_json, timeline_markdown
from vid2learn_dagster.notebook.rendering import VideoSource
from vid2learn_dagster.storage.files import atomic_path


def export_texts(
    source: VideoSource, segments: pd.DataFrame, snippets: pd.DataFrame, transcript: pd.DataFrame
) -> dict[str, tuple[str, str]]:
    """kind -> (file name, text) of every export of the video."""
    video = source.video_id
    texts = {
        "timeline_md": (f"{video}_timeline.md", timeline_markdown(source, segments)),
        "timeline_json": (f"{video}_timeline.json", timeline_json(source, segments)),
        "srt": (f"{video}.srt", srt_subtitles(transcript)),
        "vtt": (f"{video}.vtt", vtt_subtitles(transcript)),
    }
    if not snippets.empty:
        extension, text = code_file(source, snippets)
        texts["code"] = (f"{video}_code.{extension}", text)
    return texts


def write_exports(folder: Path, texts: dict[str, tuple[str, str]]) -> dict[str, Path]:
    """Each text to its file in `folder` (temp file, then rename): kind -> path."""
    paths = {}
    for kind, (name, text) in texts.items():
        path = folder / name
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        paths[kind] = path
    return paths
