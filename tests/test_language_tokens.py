"""The language stages with the real default model (Qwen2.5-Coder-1.5B on CPU) on the
sample lecture's own chunks, without the rest of the pipeline (issue 9).

Chunks and slides come from the lecture's ground truth (`sample/lecture.json`): its
utterances as ASR would cut them (a new chunk where the speaker changes) and its slides as
OCR reads them, one topic per slide. The stages then run as their assets run them: one
batched call each for the rewrite, the blend and the notebook. The floor is what issue 9
asks of the stages as they stand: at most 3,000 LLM tokens (prompt tokens the server
processed, not served from its prompt cache, plus completion tokens) per video minute.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import nbformat
import pandas as pd
import pytest

from assets.language.llm_calls import run_task
from vid2learn_dagster.language.generation import LLMTask, Messages, Usage
from vid2learn_dagster.language.llm_output import json_object
from vid2learn_dagster.language.rewriting import (
    BLEND,
    REWRITE,
    blend_prompts,
    blended_table,
    rewrite_prompts,
    rewritten_table,
)
from vid2learn_dagster.notebook.composition import compose_notebook
from vid2learn_dagster.notebook.materials import section_materials
from vid2learn_dagster.notebook.prompts import NOTEBOOK, notebook_prompts
from vid2learn_dagster.notebook.rendering import VideoSource
from vid2learn_dagster.sample import SAMPLE_DIR

MAX_TOKENS_PER_VIDEO_MINUTE = 3000


def lecture_tables(truth: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`chunks` and `visual_descriptions` tables of a scripted lecture (`lecture.json` form)."""
    chunks, visuals = [], []
    for slide in truth["slides"]:
        scene = int(slide["index"])
        for u in slide["utterances"]:
            if chunks and chunks[-1]["scene"] == scene and chunks[-1]["speaker"] == u["speaker"]:
                chunks[-1]["text"] += " " + u["text"]
                chunks[-1]["end"] = u["end"]
                continue
            chunks.append(
                {
                    "chunk_id": len(chunks),
                    "scene": scene,
                    "start": u["start"],
                    "end": u["end"],
                    "text": u["text"],
                    "speaker": u["speaker"],
                    "image_path": None,
                }
            )
        code = (slide["code"] or "").rstrip("\n")
        lines = [slide["title"], *slide["body"], *code.splitlines()]
        visuals.append(
            {
                "scene": scene,
                "on_screen_text": "\n".join(lines),
                "code": code,
                "description": f"Slide titled '{slide['title']}'.",
                "backend": "ocr:scripted",
            }
        )
    return pd.DataFrame(chunks), pd.DataFrame(visuals)


@dataclass
class StageRun:
    usage: Usage
    seconds: float
    answers: list[str]


def run_stage(llm: Any, task: LLMTask, prompts: list[Messages | None]) -> StageRun:
    """One batched call made by the assets' own `run_task`, for one video."""
    result = run_task(llm, task, {"v": prompts})
    return StageRun(result.usage["v"], result.seconds, result.answers["v"])


@dataclass
class LanguageRun:
    chunks: pd.DataFrame
    rewritten: pd.DataFrame
    blended: pd.DataFrame
    notebook: nbformat.NotebookNode
    notebook_answers: dict[str, str]
    stages: dict[str, StageRun]
    duration: float


def run_language_stages(llm: Any, truth: dict[str, Any]) -> LanguageRun:
    """Rewrite, blend and notebook on a scripted lecture, one topic per slide."""
    chunks, visuals = lecture_tables(truth)
    rewrite = run_stage(llm, REWRITE, rewrite_prompts(chunks))
    rewritten = rewritten_table("v", chunks, rewrite.answers, "m")
    blend = run_stage(llm, BLEND, blend_prompts(rewritten, chunks, visuals))
    blended = blended_table("v", rewritten, chunks, visuals, blend.answers, "m")
    by_slide = pd.concat([blended, chunks["scene"]], axis=1).groupby("scene", sort=True)
    topics = pd.DataFrame(
        {"topic_id": range(by_slide.ngroups), "chunk_ids": list(by_slide["chunk_id"].agg(list))}
    )
    no_words = pd.DataFrame({"start": [], "end": [], "word": [], "probability": []})
    no_corrections = pd.DataFrame({"start": [], "end": [], "heard": [], "corrected": []})
    materials = section_materials(
        topics, chunks, blended, rewritten, visuals, no_words, no_corrections
    )
    prompts = notebook_prompts(materials)
    notebook = run_stage(llm, NOTEBOOK, list(prompts.values()))
    answers = dict(zip(prompts, notebook.answers, strict=True))
    source = VideoSource(video_id="v", url="http://127.0.0.1:1/v.mp4", title=truth["title"])
    composed = compose_notebook(source, materials, answers)
    nb = composed.render()
    return LanguageRun(
        chunks,
        rewritten,
        blended,
        nb,
        answers,
        {"rewritten_chunks": rewrite, "blended_chunks": blend, "notebook": notebook},
        float(truth["duration"]),
    )


@pytest.fixture(scope="module")
def sample_run() -> LanguageRun:
    from resources.language.llm import LLMResource

    llm = LLMResource()
    if "qwen" not in llm.model_id.lower():
        pytest.skip(f"the default language model is not Qwen here: {llm.model_id}")
    truth = json.loads((SAMPLE_DIR / "lecture.json").read_text())
    return run_language_stages(llm, truth)


@pytest.mark.slow
def test_every_rewritten_chunk_has_text_and_most_are_the_models(sample_run):
    texts = sample_run.rewritten["text"].str.strip()
    assert (texts != "").all()
    kept = (texts != sample_run.chunks["text"].str.strip()).sum()
    assert kept >= 0.5 * len(texts), sample_run.rewritten["text"].tolist()


@pytest.mark.slow
def test_every_section_answer_is_json_with_a_multiple_choice_quiz(sample_run):
    sections = {k: v for k, v in sample_run.notebook_answers.items() if k.startswith("section:")}
    assert sections
    for key, answer in sections.items():
        data = json_object(answer)
        assert data.get("question") and data.get("answer"), (key, answer)
        assert len(data.get("options", [])) >= 3, (key, answer)


@pytest.mark.slow
def test_the_notebook_validates_with_a_quiz_per_section(sample_run):
    nbformat.validate(sample_run.notebook)
    quizzes = [c for c in sample_run.notebook.cells if c.source.startswith("**Quiz**")]
    assert len(quizzes) == len(sample_run.blended.groupby(sample_run.chunks["scene"]))


@pytest.mark.slow
def test_language_stages_cost_at_most_3000_tokens_per_video_minute(sample_run):
    total = sum((s.usage for s in sample_run.stages.values()), Usage())
    per_minute = total.llm_tokens * 60 / sample_run.duration
    report = {name: s.usage.metadata(sample_run.duration) for name, s in sample_run.stages.items()}
    assert per_minute <= MAX_TOKENS_PER_VIDEO_MINUTE, report
