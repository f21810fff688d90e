"""Per-chunk text stages: clean the speech (`rewritten_chunks`), then blend it with what the
slide shows (`blended_chunks`).

Prompts in, tables out; the asset sends all of a video's prompts in one batched call.
Every answer passes the grounding filter (`vid2learn_dagster.grounding`): sentences the
speech and screen do not support are dropped, and when what is left loses too much of
the speech the stage keeps a deterministic text instead (the speech itself, or the speech
plus the slide's text), so a weak model never removes or invents content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from vid2learn_dagster.generation import LLMTask, Messages
from vid2learn_dagster.grounding import content_words, grounded, looks_like_prose, vocabulary
from vid2learn_dagster.llm_output import clean_text
from vid2learn_dagster.prompting import render
from vid2learn_dagster.tables import conform

# Tokens: a chunk is a few sentences (one slide's speech); 200 covers a clean rewrite,
# and a looping answer stops there instead of costing the whole context.
REWRITE = LLMTask(prompts=("rewrite",), max_new_tokens=200)
BLEND = LLMTask(prompts=("blend",), max_new_tokens=200)
# Bump when the parsing or fallbacks below change what these stages write.
LOGIC = 1
# A rewrite that keeps less than this share of the speech's content words lost facts.
MIN_COVERAGE = 0.5
# The slide text a blend prompt carries (a small model's context is 2048 tokens per slot).
MAX_VISUAL_CHARS = 800


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


def screen_text(visual: Mapping[str, object] | None) -> str:
    """A slide in words for a prompt: its description and on-screen text, bounded."""
    if visual is None:
        return ""
    parts = [_text(visual.get("description")), _text(visual.get("on_screen_text"))]
    return "\n".join(p.strip() for p in parts if p.strip())[:MAX_VISUAL_CHARS]


def _slide_lines(visual: Mapping[str, object] | None) -> list[str]:
    """The slide's prose lines below its title (code is shown as code, not paraphrased)."""
    if visual is None:
        return []
    lines = [line.strip() for line in _text(visual.get("on_screen_text")).splitlines()]
    code = {line.strip() for line in _text(visual.get("code")).splitlines()}
    bodies = [line.lstrip("-*• ").strip() for line in lines[1:] if line not in code]
    return [line for line in bodies if looks_like_prose(line)]


def plain_blend(speech: str, visual: Mapping[str, object] | None) -> str:
    """The deterministic blend: the speech, then what the slide adds in its own words."""
    shown = "; ".join(_slide_lines(visual))
    on_screen = f"On screen: {shown}." if shown else ""
    return " ".join(part for part in (speech, on_screen) if part).strip()


def visuals_by_scene(visuals: pd.DataFrame) -> dict[int, dict[str, object]]:
    return {int(row["scene"]): row for row in visuals.to_dict("records")}


def blend_prompts(
    rewritten: pd.DataFrame, chunks: pd.DataFrame, visuals: pd.DataFrame
) -> list[Messages | None]:
    """One prompt per chunk (speech + its keyframe's description); None with neither."""
    by_scene = visuals_by_scene(visuals)
    prompts: list[Messages | None] = []
    for speech, scene in zip(rewritten["text"], chunks["scene"], strict=True):
        visual = screen_text(by_scene.get(int(scene)))
        has_content = _text(speech).strip() or visual
        prompts.append(render("blend", speech=speech, visual=visual) if has_content else None)
    return prompts


def blended_table(
    video_id: str,
    rewritten: pd.DataFrame,
    chunks: pd.DataFrame,
    visuals: pd.DataFrame,
    answers: Sequence[str],
    model: str,
) -> pd.DataFrame:
    """The `blended_chunks` table: one explanatory text per chunk.

    The speech is what must survive (coverage); the slide may support extra sentences.
    """
    by_scene = visuals_by_scene(visuals)
    texts = []
    for speech, scene, answer in zip(rewritten["text"], chunks["scene"], answers, strict=True):
        visual = by_scene.get(int(scene))
        speech = _text(speech).strip()
        fallback = plain_blend(speech, visual)
        source = speech or " ".join(_slide_lines(visual))
        texts.append(faithful(answer, source, fallback=fallback, support_from=screen_text(visual)))
    return conform(_rows(video_id, rewritten, texts, model), "blended_chunks")
