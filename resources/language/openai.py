"""The `openai` backend: any OpenAI-compatible server (vLLM, llama.cpp's server, a hosted
API) through the maintained `openai` SDK, which brings timeouts and retries with backoff
(issue 10). Used by the language stages (`resources.language.llm`) and, with images in the
messages, by the vision stage (`resources.vision.reader`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from resources.language.base import Generation, LLMBackendMissing, Message


class LLMRequestError(RuntimeError):
    """An OpenAI-compatible server kept failing after the configured retries."""


class OpenAIEngine:
    """Chat completions through the `openai` SDK; one call's prompts go out concurrently
    (the server batches them), each with the SDK's timeout and its retries with backoff on
    connection errors, 408, 409, 429 and 5xx."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        concurrency: int,
        timeout_s: float,
        max_retries: int,
    ) -> None:
        try:
            import openai
        except ImportError as error:
            raise LLMBackendMissing("openai backend needs: pip install 'vid2learn[ai]'") from error
        self.base_url = base_url.rstrip("/")
        # A local server needs no key, but the SDK insists on one.
        self.client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or "unused",
            timeout=timeout_s,
            max_retries=max_retries,
        )
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.model = model or self._served_model()

    def _failure(self, error: Exception) -> LLMRequestError:
        import openai

        if isinstance(error, openai.APIStatusError):
            return LLMRequestError(f"HTTP {error.status_code}: {str(error.message)[:500]}")
        attempts = self.max_retries + 1
        return LLMRequestError(f"{self.base_url}: {attempts} attempts failed: {error!r}")

    def _served_model(self) -> str:
        import openai

        try:
            return self.client.models.list().data[0].id
        except (openai.OpenAIError, IndexError) as error:
            raise LLMRequestError(f"{self.base_url}: cannot list served models: {error}") from error

    def _complete(
        self,
        conversation: list[Message],
        max_new_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
    ) -> Generation:
        import openai

        structured: dict[str, Any] = (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "output", "schema": json_schema},
                }
            }
            if json_schema is not None
            else {}
        )
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=conversation,  # type: ignore[arg-type]
                max_tokens=max_new_tokens,
                temperature=temperature,
                **structured,
            )
        except openai.OpenAIError as error:
            raise self._failure(error) from error
        usage = response.usage
        return Generation(
            response.choices[0].message.content or "",
            usage.prompt_tokens if usage else 0,
            usage.completion_tokens if usage else 0,
            _cached_tokens(response),
        )

    def generate(
        self,
        conversations: list[list[Message]],
        max_new_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
    ) -> list[Generation]:
        if not conversations:
            return []
        with ThreadPoolExecutor(min(self.concurrency, len(conversations))) as pool:
            return list(
                pool.map(
                    lambda c: self._complete(c, max_new_tokens, temperature, json_schema),
                    conversations,
                )
            )


def _cached_tokens(response: Any) -> int:
    """Prompt tokens a server reused from its cache: the OpenAI usage field, else
    llama-server's own `timings.cache_n` (a field the SDK keeps as an extra)."""
    details = getattr(response.usage, "prompt_tokens_details", None)
    if details is not None and details.cached_tokens is not None:
        return int(details.cached_tokens)
    timings = (response.model_extra or {}).get("timings") or {}
    return int(timings.get("cache_n", 0))
