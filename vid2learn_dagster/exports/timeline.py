"""The video's timeline and all its code as files (issue 13 item 3): `timeline.md` with a
link to every moment, the same as JSON, and `<video>_code.<ext>` with every distinct code
version in order, each under a comment saying when it was on screen."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd

from vid2learn_dagster.notebook.rendering import VideoSource, clock, escape_markdown, timestamp_url

# File extension and line-comment mark per language `code_language` names.
LANGUAGE_FILES = {
    "Python": ("py", "#"),
    "JavaScript": ("js", "//"),
    "Java": ("java", "//"),
    "C": ("c", "//"),
    "Go": ("go", "//"),
    "Rust": ("rs", "//"),
    "SQL": ("sql", "--"),
    "Haskell": ("hs", "--"),
}
PLAIN = ("txt", "#")


def _segment_rows(segments: pd.DataFrame) -> list[dict]:
    rows = []
    for row in segments.sort_values("start", kind="stable").to_dict("records"):
        coded = not pd.isna(row["snippet"])
        rows.append(
            {
                "start": float(row["start"]),
                "end": float(row["end"]),
                "kind": str(row["kind"]),
                "title": str(row["title"] or ""),
                "snippet": int(row["snippet"]) if coded else None,
                "version": int(row["version"]) if coded else None,
            }
        )
    return rows


def timeline_json(source: VideoSource, segments: pd.DataFrame) -> str:
    """Every segment in order: times, kind, slide title, code version and a link."""
    rows = [{**row, "url": timestamp_url(source, row["start"])} for row in _segment_rows(segments)]
    return json.dumps({"video_id": source.video_id, "segments": rows}, indent=2) + "\n"


def timeline_markdown(source: VideoSource, segments: pd.DataFrame) -> str:
    """Every code and learning segment in order, with its times and a link to it."""
    lines = [f"# Timeline: {escape_markdown(source.title)}", ""]
    for row in _segment_rows(segments):
        span = f"{clock(row['start'])}-{clock(row['end'])}"
        what = escape_markdown(row["title"]) or "*(no title)*"
        code = f" (code {row['snippet']}, version {row['version']})" if row["snippet"] else ""
        link = timestamp_url(source, row["start"])
        lines.append(f"- [{span}]({link}) **{row['kind']}** {what}{code}")
    return "\n".join(lines) + "\n"


def code_file(source: VideoSource, snippets: pd.DataFrame) -> tuple[str, str]:
    """(extension, text): every distinct version in order, each under a comment with its
    snippet, version and time on screen; the extension of the video's commonest language."""
    ordered = snippets.sort_values(["start", "snippet", "version"], kind="stable")
    languages = Counter(ordered["language"]).most_common(1)
    extension, mark = LANGUAGE_FILES.get(languages[0][0], PLAIN) if languages else PLAIN
    parts = [f"{mark} Code shown in {source.title} ({source.url})"]
    seen: set[str] = set()
    for row in ordered.to_dict("records"):
        if row["code"] in seen:
            continue
        seen.add(row["code"])
        when = f"{clock(row['start'])}-{clock(row['end'])}"
        parts.append(
            f"{mark} snippet {row['snippet']}, version {row['version']}, on screen {when}"
            f" ({timestamp_url(source, row['start'])})\n{row['code']}"
        )
    return extension, "\n\n".join(parts) + "\n"
