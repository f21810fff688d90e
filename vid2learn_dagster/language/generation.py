"""What an LLM stage asks for (prompt templates and generation settings), its code version,
and what its calls cost in tokens.

Each stage module declares one `LLMTask` per batched call; the asset derives its Dagster
`code_version` from the task(s) and the configured model (`stage_code_version`), so
editing a template, a setting or the post-processing (its modules) makes exactly that asset
and its descendants stale. Every prompt starts with the shared system message
(`prompting.SYSTEM`), so it is part of every stage's version.

Issue 9: a 1.5B model on 2 cores spends most of a lecture's processing time in these
stages, so each records its tokens per minute of video (`Usage`), counting the prompt
tokens the server actually processed (not those served from its prompt cache) plus the
completion tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol, TypeVar

from vid2learn_dagster.common.lineage import code_version as lineage
from vid2learn_dagster.language.prompting import SYSTEM, code_version

Messages = list[dict[str, str]]
R = TypeVar("R")


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


def stage_code_version(tasks: Sequence[LLMTask], model_id: str, *logic: ModuleType) -> str:
    """The code version of a stage made of `tasks` on `model_id`, whose prompts are built
    and answers parsed by the `logic` modules (hashed with the stage logic they use, so an
    edit to any of them makes the stage stale)."""
    return code_version(
        prompt_names=sorted({SYSTEM, *(name for task in tasks for name in task.prompts)}),
        model_id=model_id,
        settings={"tasks": [task.settings() for task in tasks], "logic": lineage(*logic)},
    )


def generate_where_needed(
    prompts: Sequence[Messages | None], generate: Callable[[list[Messages]], Sequence[R]]
) -> list[R | None]:
    """Results aligned with `prompts`, from one `generate` call; `None` prompts get None.

    A chunk without speech needs no model call, but the rest still go out as one batch.
    """
    asked = [p for p in prompts if p is not None]
    results = iter(generate(asked) if asked else [])
    return [next(results) if p is not None else None for p in prompts]


class TokenCounts(Protocol):
    """What a backend reports per generation (`resources.language.llm.Generation`)."""

    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Usage:
    """The tokens of some generations: the cost measure of issue 9."""

    prompts: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens the server's prompt cache served
    completion_tokens: int = 0

    @classmethod
    def of(cls, generations: Iterable[TokenCounts | None]) -> Usage:
        """The sum over `generations`; None (a prompt never sent) costs nothing."""
        done = [g for g in generations if g is not None]
        return cls(
            prompts=len(done),
            prompt_tokens=sum(g.prompt_tokens for g in done),
            cached_tokens=sum(g.cached_tokens for g in done),
            completion_tokens=sum(g.completion_tokens for g in done),
        )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompts + other.prompts,
            self.prompt_tokens + other.prompt_tokens,
            self.cached_tokens + other.cached_tokens,
            self.completion_tokens + other.completion_tokens,
        )

    @property
    def llm_tokens(self) -> int:
        """Prompt tokens actually processed plus completion tokens."""
        return self.prompt_tokens - self.cached_tokens + self.completion_tokens

    def metadata(self, video_seconds: float | None) -> dict[str, int | float]:
        """Counts for asset metadata, with `llm_tokens_per_video_minute` when the video's
        length is known."""
        counts: dict[str, int | float] = {
            "llm_prompts": self.prompts,
            "prompt_tokens": self.prompt_tokens,
            "cached_tokens": self.cached_tokens,
            "completion_tokens": self.completion_tokens,
            "llm_tokens": self.llm_tokens,
        }
        if video_seconds:
            counts["llm_tokens_per_video_minute"] = round(self.llm_tokens * 60 / video_seconds)
        return counts
