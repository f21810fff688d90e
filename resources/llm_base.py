"""What every language backend shares: the message shape, one answer with its cost, and
the interface a backend implements (`resources.llm` picks one; one backend per file)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Message = dict[str, str]
Prompt = str | list[Message]


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
