"""Running one `LLMTask` as one batched call, with the token counts for asset metadata."""

from __future__ import annotations

from collections.abc import Sequence

from resources.llm import LLMResource
from vid2learn_dagster.generation import LLMTask, Messages, generate_where_needed


def run_task(
    llm: LLMResource, task: LLMTask, prompts: Sequence[Messages | None]
) -> tuple[list[str], dict[str, int]]:
    """Answers aligned with `prompts` ("" where a prompt is None) and the call's usage."""
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

    return generate_where_needed(prompts, generate), usage
