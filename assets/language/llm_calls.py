"""Running one `LLMTask` as one batched call over a batch of videos, with each video's
token counts and the call's seconds for asset metadata (issue 9)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from resources.language.llm import Generation, LLMResource
from vid2learn_dagster.common.batching import call_batched
from vid2learn_dagster.language.generation import LLMTask, Messages, Usage, generate_where_needed


@dataclass(frozen=True)
class TaskResult:
    """Answers per video aligned with its prompts ("" where a prompt was None), what
    each video's prompts cost, and the wall seconds of the call."""

    answers: dict[str, list[str]]
    usage: dict[str, Usage]
    seconds: float


def run_task(
    llm: LLMResource, task: LLMTask, prompts: Mapping[str, Sequence[Messages | None]]
) -> TaskResult:
    """Every video's prompts in one `generate` call."""

    def generate(batch: list[Messages]) -> list[Generation]:
        return llm.generate(
            batch,
            max_new_tokens=task.max_new_tokens,
            temperature=task.temperature,
            json_schema=task.json_schema,
        )

    began = time.perf_counter()
    generations = call_batched(prompts, lambda flat: generate_where_needed(flat, generate))
    return TaskResult(
        answers={v: [g.text if g else "" for g in gs] for v, gs in generations.items()},
        usage={v: Usage.of(gs) for v, gs in generations.items()},
        seconds=time.perf_counter() - began,
    )


def video_seconds(source_video: pd.DataFrame) -> float | None:
    """The video's length from its `source_video` row (None when unknown)."""
    duration = source_video["duration"].iloc[0] if len(source_video) else None
    return float(duration) if duration is not None and pd.notna(duration) and duration > 0 else None


def usage_metadata(
    result: TaskResult, seconds: Mapping[str, float | None]
) -> tuple[dict[str, dict[str, int | float]], dict[str, int | float]]:
    """Token metadata per video (with its tokens per video minute) and for the whole step
    (with the call's seconds)."""
    per_video = {video: result.usage[video].metadata(length) for video, length in seconds.items()}
    lengths = [s for s in seconds.values() if s]
    total = sum(result.usage.values(), Usage())
    step = total.metadata(sum(lengths) if len(lengths) == len(seconds) else None)
    return per_video, {**step, "llm_seconds": round(result.seconds, 1)}
