"""What every language backend shares: the message shape, one answer with its cost, and
the interface a backend implements (`resources.language.llm` picks one; one backend per file)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Message = dict[str, str]
Prompt = str | list[Message]


def instruction(conversation: list[Message]) -> list[Message]:
    """The part of a conversation that states the task and holds none of its data: the
    system messages and the first paragraph of the last user message, where the templates
    put the task (data follows it). A user message of one paragraph (a plain prompt
    string) has no separate instruction.

    Small models repeat it back (`resources.language.llm` strips such echoes), and every prompt of a
    task shares it (CTranslate2 computes it once per call and keeps it)."""
    systems = [m for m in conversation if m.get("role") == "system"]
    users = [m for m in conversation if m.get("role") == "user"]
    paragraphs = users[-1]["content"].strip().split("\n\n") if users else []
    task = [{"role": "user", "content": paragraphs[0]}] if len(paragraphs) > 1 else []
    return [*systems, *task]


class LLMBackendMissing(ImportError):
    """A backend's packages are not installed; the message names the pip extra."""


@dataclass(frozen=True)
class Generation:
    """One answer and its cost. `cached_tokens` of the prompt were served from a prompt
    cache (0 when the backend does not say), so the prompt tokens actually processed are
    `prompt_tokens - cached_tokens`."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0

    @property
    def processed_tokens(self) -> int:
        """Prompt tokens computed plus tokens written: what the step cost (issue 9)."""
        return self.prompt_tokens - self.cached_tokens + self.completion_tokens


class Engine(Protocol):
    """A loaded model: all conversations of one call are answered as one batch where the
    backend can, in order."""

    def generate(
        self,
        conversations: list[list[Message]],
        max_new_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
    ) -> list[Generation]: ...
