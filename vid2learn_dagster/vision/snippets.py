"""The code on screen at every moment (issue 13): versions of each listing and a timeline
of CODE, MIXED and LEARNING moments, from what each reading frame showed.

A reading frame's picture stays on screen until the scene's next reading frame (or the
scene's end); a scene's first frame covers it from the scene's start. Consecutive code
readings are one snippet while each contains the one before (a listing typed or revealed
line by line, or the same listing read again): a longer reading is a new version, an
equal one extends the version's time; a listing that does not contain the previous one
starts a new snippet. A moment is CODE when the screen shows code and at most a title
besides, MIXED when it also shows other text (bullets beside code), LEARNING when it
shows no code.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import pandas as pd
from rapidfuzz.fuzz import ratio

from vid2learn_dagster.storage.tables import SCHEMAS, conform
from vid2learn_dagster.vision.code_detection import code_language
from vid2learn_dagster.vision.descriptions import screen_title

# Two readings of one listing: OCR may misread a character of a line.
SAME_LINE = 75


def _lines(code: str) -> list[str]:
    return [" ".join(line.split()) for line in code.splitlines() if line.strip()]


def contains(later: str, earlier: str) -> bool:
    """Whether every line of `earlier` is (nearly) a line of `later`: the same listing, or
    an earlier build of it."""
    found = _lines(later)
    return all(any(ratio(line, other) >= SAME_LINE for other in found) for line in _lines(earlier))


def parses(code: str, language: str) -> bool:
    """Python is parsed (`ast.parse`, never run); other languages are not checked."""
    if language != "Python":
        return False
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


@dataclass
class _Version:
    snippet: int
    version: int
    scene: int
    start: float
    end: float
    code: str
    readings: list[str] = field(default_factory=list)


def _visible(frames: pd.DataFrame, keyframes: pd.DataFrame) -> pd.DataFrame:
    """Frames in time order with the span their picture is on screen: from the scene's
    start (its first frame; a keyframe is taken inside its scene) or the frame's time, to
    the scene's next reading frame or its end."""
    bounds = keyframes.set_index(keyframes["scene"].astype(int))
    ordered = frames.sort_values(["scene", "time"], kind="stable").reset_index(drop=True)
    scenes = ordered["scene"].astype(int)
    first = ordered.groupby("scene").cumcount() == 0
    nxt = ordered.groupby("scene")["time"].shift(-1)
    return ordered.assign(
        start=ordered["time"].where(~first, scenes.map(bounds["start"])),
        end=nxt.fillna(scenes.map(bounds["end"])),
    ).sort_values("start", kind="stable")


def _kind(row: dict) -> str:
    if not row["code"].strip():
        return "LEARNING"
    code = set(_lines(row["code"]))
    other = [
        line
        for line in _lines(row["on_screen_text"])
        if line not in code and line != " ".join(row["title"].split())
    ]
    return "MIXED" if other else "CODE"


def code_timeline(
    video_id: str, frames: pd.DataFrame, keyframes: pd.DataFrame, visuals: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `code_snippets` table (one row per version) and the `video_segments` table (one
    row per stretch of one kind, snippet and version) from `frame_readings`."""
    titles = {
        int(r["scene"]): screen_title(r["title"] or "", r["on_screen_text"] or "", r["code"] or "")
        for r in visuals.to_dict("records")
    }
    frames = frames.assign(
        code=frames["code"].fillna("").str.strip("\n"),
        on_screen_text=frames["on_screen_text"].fillna(""),
        title=frames["title"].fillna(""),
    )
    versions: list[_Version] = []
    moments = []
    for row in _visible(frames, keyframes).to_dict("records"):
        code, scene = row["code"], int(row["scene"])
        current = versions[-1] if versions else None
        if code:
            if current is not None and contains(code, current.code):
                if contains(current.code, code) and len(code) <= len(current.code):
                    current.end = max(current.end, row["end"])  # read again
                else:
                    current = _Version(
                        current.snippet, current.version + 1, scene, row["start"], row["end"], code
                    )
                    versions.append(current)
            else:
                snippet = versions[-1].snippet + 1 if versions else 1
                current = _Version(snippet, 1, scene, row["start"], row["end"], code)
                versions.append(current)
            current.readings.append(code)
        moments.append(
            {
                "video_id": video_id,
                "start": float(row["start"]),
                "end": float(row["end"]),
                "kind": _kind(row),
                "scene": scene,
                "title": titles.get(scene, "") or row["title"],
                "snippet": current.snippet if code else None,
                "version": current.version if code else None,
            }
        )
    snippets = pd.DataFrame(
        [
            {
                "video_id": video_id,
                "snippet": v.snippet,
                "version": v.version,
                "scene": v.scene,
                "start": float(v.start),
                "end": float(v.end),
                "code": v.code,
                "language": (language := code_language(v.code)),
                # Share of the version's readings that read exactly the kept text.
                "confidence": round(v.readings.count(v.code) / len(v.readings), 3),
                "parses": parses(v.code, language),
            }
            for v in versions
        ],
        columns=list(SCHEMAS["code_snippets"].names),
    )
    return conform(snippets, "code_snippets"), conform(_merged(moments), "video_segments")


def _merged(moments: list[dict]) -> pd.DataFrame:
    """Neighbouring moments of one kind, scene, snippet and version as one segment."""
    keys = ("kind", "scene", "snippet", "version")
    merged: list[dict] = []
    for moment in moments:
        if merged and all(merged[-1][k] == moment[k] for k in keys):
            merged[-1]["end"] = max(merged[-1]["end"], moment["end"])
        else:
            merged.append(dict(moment))
    return pd.DataFrame(merged, columns=list(SCHEMAS["video_segments"].names))


def code_at(
    segments: pd.DataFrame, snippets: pd.DataFrame, seconds: float, tolerance: float = 0.0
) -> dict[str, object]:
    """What a learner pausing at `seconds` should get: the most complete code version
    visible within `tolerance` of it (kind CODE or MIXED), else LEARNING with the title of
    the slide on screen then ("" if none). Answered from the tables, not by re-reading."""
    near = segments[
        (segments["start"] <= seconds + tolerance) & (segments["end"] > seconds - tolerance)
    ]
    coded = near.dropna(subset=["snippet"])
    at = near[(near["start"] <= seconds) & (near["end"] > seconds)]
    here = at.iloc[0] if len(at) else (near.iloc[0] if len(near) else None)
    if coded.empty:
        return {
            "kind": "LEARNING",
            "time": seconds,
            "title": "" if here is None else str(here["title"]),
        }
    keys = coded[["snippet", "version"]].astype(int).itertuples(index=False)
    wanted = {(k.snippet, k.version) for k in keys}
    rows = snippets[
        [
            (int(s), int(v)) in wanted
            for s, v in zip(snippets["snippet"], snippets["version"], strict=True)
        ]
    ]
    best = rows.loc[rows["code"].str.len().idxmax()]
    kind = coded[coded["snippet"] == best["snippet"]]["kind"].iloc[0]
    return {
        "kind": str(kind),
        "time": seconds,
        "title": str(coded.iloc[0]["title"]),
        "snippet": int(best["snippet"]),
        "version": int(best["version"]),
        "start": float(best["start"]),
        "end": float(best["end"]),
        "language": str(best["language"]),
        "code": str(best["code"]),
    }
