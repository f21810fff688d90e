"""Per-chunk text stages: clean the speech (`rewritten_chunks`), then add what the slide
shows (`blended_chunks`).

Prompts in, tables out; the asset sends all of a video's prompts in one batched call.
Every answer passes the grounding filter (`vid2learn_dagster.language.grounding`): sentences the
speech and screen do not support are dropped, and when what is left loses too much of
the speech the stage keeps a deterministic text instead (the speech itself, or the slide's
points as written), so a weak model never removes or invents content.

Issue 9: the blend used to have the model write the whole speech out a second time. Now
the blended text is the cleaned speech as it is, plus one model-written sentence per slide
stating the points the slide shows and the speech does not say; a slide whose points the
speech already covers costs no model call at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from vid2learn_dagster.language.generation import LLMTask, Messages
from vid2learn_dagster.language.grounding import (
    MIN_SUPPORT,
    content_words,
    grounded,
    looks_like_prose,
    sentences,
    support,
    vocabulary,
)
from vid2learn_dagster.language.llm_output import clean_text
from vid2learn_dagster.language.prompting import render
from vid2learn_dagster.storage.tables import conform

# Tokens: a chunk is a few sentences (one slide's speech); 200 covers a clean rewrite,
# and a looping answer stops there instead of costing the whole context. A slide's
# sentence needs about 30.
REWRITE = LLMTask(prompts=("rewrite",), max_new_tokens=200)
BLEND = LLMTask(prompts=("blend",), max_new_tokens=64)
# A rewrite that keeps less than this share of the speech's content words lost facts.
MIN_COVERAGE = 0.5
# The slide points a blend prompt carries (a small model's context is 2048 tokens per slot).
MAX_POINTS_CHARS = 600
# Vision backends whose description only counts the OCR'd lines ("Slide titled 'X' with
# 3 bullet points"): it adds nothing to the on-screen text, so it is not a slide point.
_COUNTING_BACKENDS = ("ocr",)


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def coverage(text: str, source: str) -> float:
    """Share of `source`'s content words that `text` keeps (1.0 when the source has none)."""
    wanted = set(content_words(source))
    return len(wanted & set(content_words(text))) / len(wanted) if wanted else 1.0


def faithful(answer: str, source: str, *, fallback: str, support_from: str = "") -> str:
    """The supported sentences of a model answer, or `fallback` if they lose the source."""
    kept = grounded(clean_text(answer), vocabulary(source, support_from))
    return kept if kept and coverage(kept, source) >= MIN_COVERAGE else fallback


def rewrite_prompts(chunks: pd.DataFrame) -> list[Messages | None]:
    """One prompt per chunk in table order; None where there is no speech to clean."""
    return [render("rewrite", text=t) if _text(t).strip() else None for t in chunks["text"]]


def _rows(video_id: str, chunks: pd.DataFrame, texts: Sequence[str], model: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "video_id": video_id,
            "chunk_id": chunks["chunk_id"].to_numpy(),
            "start": chunks["start"].to_numpy(),
            "end": chunks["end"].to_numpy(),
            "text": list(texts),
            "model": model,
        }
    )


def rewritten_table(
    video_id: str, chunks: pd.DataFrame, answers: Sequence[str], model: str
) -> pd.DataFrame:
    """The `rewritten_chunks` table: each chunk's cleaned speech ("" where it had none)."""
    texts = [
        faithful(answer, _text(speech).strip(), fallback=_text(speech).strip())
        for speech, answer in zip(chunks["text"], answers, strict=True)
    ]
    return conform(_rows(video_id, chunks, texts, model), "rewritten_chunks")


def _slide_lines(visual: Mapping[str, object] | None) -> list[str]:
    """The slide's prose lines below its title (code is shown as code, not paraphrased)."""
    if visual is None:
        return []
    lines = [line.strip() for line in _text(visual.get("on_screen_text")).splitlines()]
    code = {line.strip() for line in _text(visual.get("code")).splitlines()}
    bodies = [line.lstrip("-*• ").strip() for line in lines[1:] if line not in code]
    return [line for line in bodies if looks_like_prose(line)]


def slide_title(visual: Mapping[str, object] | None) -> str:
    """The slide's first on-screen line (its title on a slide)."""
    lines = _text(visual.get("on_screen_text")).strip().splitlines() if visual else []
    return lines[0].strip() if lines else ""


def slide_points(visual: Mapping[str, object] | None, speech: str) -> list[str]:
    """What the slide shows that the speech does not say: its prose lines, and a
    vision model's description sentences, that the speech does not support."""
    if visual is None:
        return []
    counting = _text(visual.get("backend")).startswith(_COUNTING_BACKENDS)
    description = "" if counting else _text(visual.get("description"))
    described = [s for s in sentences(description) if looks_like_prose(s)]
    said = vocabulary(speech)
    points = [p for p in [*_slide_lines(visual), *described] if support(p, said) < MIN_SUPPORT]
    return list(dict.fromkeys(points))


def _first_chunks_of_slides(chunks: pd.DataFrame) -> dict[int, int]:
    """Row position -> scene for each scene's first chunk (a slide's chunks are neighbours)."""
    seen: set[int] = set()
    firsts: dict[int, int] = {}
    for position, scene in enumerate(chunks["scene"].astype(int)):
        if scene not in seen:
            seen.add(scene)
            firsts[position] = scene
    return firsts


def _slide_speech(rewritten: pd.DataFrame, chunks: pd.DataFrame) -> dict[int, str]:
    """Scene -> the cleaned speech of all its chunks."""
    spoken: dict[int, list[str]] = {}
    for speech, scene in zip(rewritten["text"], chunks["scene"], strict=True):
        spoken.setdefault(int(scene), []).append(_text(speech).strip())
    return {scene: " ".join(t for t in texts if t) for scene, texts in spoken.items()}


def visuals_by_scene(visuals: pd.DataFrame) -> dict[int, dict[str, object]]:
    return {int(row["scene"]): row for row in visuals.to_dict("records")}


@dataclass(frozen=True)
class SlideAddition:
    """What a chunk adds from its slide: the points (at a slide's first chunk only, so no
    text is sent or written twice), and the words that may support a sentence about them."""

    title: str = ""
    points: tuple[str, ...] = ()
    context: str = ""  # the slide's on-screen text and speech


def slide_additions(
    rewritten: pd.DataFrame, chunks: pd.DataFrame, visuals: pd.DataFrame
) -> list[SlideAddition]:
    """Per chunk, in table order."""
    by_scene = visuals_by_scene(visuals)
    speech = _slide_speech(rewritten, chunks)
    firsts = _first_chunks_of_slides(chunks)
    additions = []
    for position in range(len(chunks)):
        scene = firsts.get(position)
        visual = by_scene.get(scene) if scene is not None else None
        if visual is None:
            additions.append(SlideAddition())
            continue
        said = speech.get(scene, "")
        additions.append(
            SlideAddition(
                title=slide_title(visual),
                points=tuple(slide_points(visual, said)),
                context=f"{_text(visual.get('on_screen_text'))}\n{said}",
            )
        )
    return additions


def blend_prompts(
    rewritten: pd.DataFrame, chunks: pd.DataFrame, visuals: pd.DataFrame
) -> list[Messages | None]:
    """One prompt per slide that adds points to its speech, at its first chunk; None
    for every other chunk."""
    return [
        render("blend", title=a.title, points=_listed(a.points)) if a.points else None
        for a in slide_additions(rewritten, chunks, visuals)
    ]


def _listed(points: Sequence[str]) -> str:
    return "\n".join(f"- {p}" for p in points)[:MAX_POINTS_CHARS]


def slide_sentence(answer: str, addition: SlideAddition) -> str:
    """The model's sentence if the slide and its speech support it, else the points as
    written."""
    kept = grounded(clean_text(answer), vocabulary(addition.title, addition.context))
    return kept or f"On screen: {'; '.join(addition.points)}."


def blended_table(
    video_id: str,
    rewritten: pd.DataFrame,
    chunks: pd.DataFrame,
    visuals: pd.DataFrame,
    answers: Sequence[str],
    model: str,
) -> pd.DataFrame:
    """The `blended_chunks` table: each chunk's cleaned speech, and after a slide's first
    chunk the sentence stating what that slide adds."""
    texts = []
    for speech, addition, answer in zip(
        rewritten["text"], slide_additions(rewritten, chunks, visuals), answers, strict=True
    ):
        added = slide_sentence(answer, addition) if addition.points else ""
        texts.append(" ".join(t for t in (_text(speech).strip(), added) if t))
    return conform(_rows(video_id, rewritten, texts, model), "blended_chunks")
