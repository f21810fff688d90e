"""What an LLM stage asks for (prompt templates and generation settings) and its code version.

Each stage module declares one `LLMTask` per batched call; the asset derives its Dagster
`code_version` from the task(s) and the configured model (`stage_code_version`), so
editing a template, a setting or the post-processing (`logic`) makes exactly that asset
and its descendants stale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vid2learn_dagster.prompting import code_version

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class LLMTask:
    """One batched generate call: the templates its prompts use and how it decodes."""

    prompts: tuple[str, ...]
    max_new_tokens: int
    temperature: float = 0.0
    json_schema: dict[str, Any] | None = field(default=None, hash=False)

    def settings(self) -> dict[str, Any]:
        return {
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "json_schema": self.json_schema,
        }


def stage_code_version(tasks: Sequence[LLMTask], model_id: str, logic: int) -> str:
    """The code version of a stage made of `tasks` on `model_id`.

    `logic` is bumped by hand when the stage's deterministic parsing or fallbacks change.
    """
    return code_version(
        prompt_names=sorted({name for task in tasks for name in task.prompts}),
        model_id=model_id,
        settings={"tasks": [task.settings() for task in tasks], "logic": logic},
    )


def generate_where_needed(
    prompts: Sequence[Messages | None], generate: Callable[[list[Messages]], list[str]]
) -> list[str]:
    """Answers aligned with `prompts`, in one `generate` call; `None` prompts get "".

    A chunk without speech needs no model call, but the rest still go out as one batch.
    """
    asked = [p for p in prompts if p is not None]
    answers = iter(generate(asked) if asked else [])
    return [next(answers) if p is not None else "" for p in prompts]
