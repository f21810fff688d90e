"""The code on screen at every moment (issue 13): versions of a listing revealed line by
line, a new listing as a new snippet, the CODE / MIXED / LEARNING timeline, and the code a
learner gets when pausing."""

from __future__ import annotations

import pandas as pd

from vid2learn_dagster.vision.snippets import code_at, code_timeline

V1 = "def factorial(n):\n    if n == 0:\n        return 1"
V2 = V1 + "\n    return n * factorial(n - 1)"
OTHER = "ages = {'ada': 36}\nprint(ages)"


def frames(rows: list[tuple[int, float, str, str]]) -> pd.DataFrame:
    """(scene, time, code, other text) per reading frame; each scene titled `Slide N`."""
    return pd.DataFrame(
        {
            "scene": [r[0] for r in rows],
            "frame": range(len(rows)),
            "time": [r[1] for r in rows],
            "code": [r[2] for r in rows],
            "on_screen_text": [f"Slide {r[0]}\n{r[3]}\n{r[2]}".strip() for r in rows],
            "title": [f"Slide {r[0]}" for r in rows],
        }
    )


KEYFRAMES = pd.DataFrame(
    {"scene": [1, 2, 3, 4], "start": [0.0, 8.0, 30.0, 40.0], "end": [8.0, 30.0, 40.0, 50.0]}
)
VISUALS = pd.DataFrame(
    {
        "scene": [1, 2, 3, 4],
        "title": ["Intro", "Factorial", "Ages", ""],  # the reader saw no larger line on 4
        "on_screen_text": ["Intro", "Factorial", "Ages", "Recap\n- done"],
        "code": ["", V2, OTHER, ""],
    }
)
READINGS = frames(
    [
        (1, 4.0, "", "- recursion"),  # a keyframe is taken inside its scene
        (2, 10.0, V1, ""),
        (2, 14.0, V1.replace("return 1", "retum 1"), ""),  # the same build misread
        (2, 20.0, V2, ""),
        (3, 30.0, OTHER, "- a dict maps keys"),
        (4, 40.0, "", "- done"),
    ]
)


def test_a_revealed_listing_is_one_snippet_in_versions_and_a_new_listing_another():
    snippets, _ = code_timeline("v", READINGS, KEYFRAMES, VISUALS)
    assert list(zip(snippets["snippet"], snippets["version"], strict=True)) == [
        (1, 1),
        (1, 2),
        (2, 1),
    ]
    first, last, other = snippets.to_dict("records")
    assert (first["start"], first["end"], first["code"]) == (8.0, 20.0, V1)
    assert (last["start"], last["end"], last["code"]) == (20.0, 30.0, V2)
    assert first["confidence"] == 0.5, "read twice, once exactly"
    assert last["parses"] and last["language"] == "Python" and other["code"] == OTHER


def test_every_moment_is_code_mixed_or_learning():
    _, segments = code_timeline("v", READINGS, KEYFRAMES, VISUALS)
    kinds = list(zip(segments["kind"], segments["start"], segments["end"], strict=True))
    assert kinds == [
        ("LEARNING", 0.0, 8.0),
        ("CODE", 8.0, 20.0),
        ("CODE", 20.0, 30.0),
        ("MIXED", 30.0, 40.0),
        ("LEARNING", 40.0, 50.0),
    ]
    assert list(segments["title"]) == ["Intro", "Factorial", "Factorial", "Ages", "Recap"]


def test_pausing_gives_the_code_on_screen_or_what_is_taught():
    snippets, segments = code_timeline("v", READINGS, KEYFRAMES, VISUALS)
    assert code_at(segments, snippets, 15.0)["code"] == V1
    assert code_at(segments, snippets, 25.0)["code"] == V2
    assert code_at(segments, snippets, 19.0, tolerance=2.0)["code"] == V2, "most complete nearby"
    assert code_at(segments, snippets, 35.0)["kind"] == "MIXED"
    assert code_at(segments, snippets, 45.0) == {"kind": "LEARNING", "time": 45.0, "title": "Recap"}
