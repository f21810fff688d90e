"""Running one `LLMTask` as one batched call over a batch of videos, with the token counts
for asset metadata."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from resources.llm import LLMResource
from vid2learn_dagster.batching import call_batched
from vid2learn_dagster.generation import LLMTask, Messages, generate_where_needed


def run_task(
    llm: LLMResource, task: LLMTask, prompts: Mapping[str, Sequence[Messages | None]]
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Answers per video, aligned with its prompts ("" where a prompt is None), from one
    `generate` call for every video's prompts together; and the call's token usage."""
    usage = {"prompts": 0, "prompt_tokens": 0, "completion_tokens": 0}

    def generate(batch: list[Messages]) -> list[str]:
        generations = llm.generate(
            batch,
            max_new_tokens=task.max_new_tokens,
            temperature=task.temperature,
            json_schema=task.json_schema,
        )
        usage["prompts"] += len(batch)
        usage["prompt_tokens"] += sum(g.prompt_tokens for g in generations)
        usage["completion_tokens"] += sum(g.completion_tokens for g in generations)
        return [g.text for g in generations]

    answers = call_batched(prompts, lambda flat: generate_where_needed(flat, generate))
    return answers, usage
