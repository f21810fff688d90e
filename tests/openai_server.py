"""A real OpenAI-compatible server on 127.0.0.1 for the openai backend's tests.

llama.cpp's own `llama-server` (the portable build `.ci/install` makes) serving the
bundled SmolLM2 GGUF: the HTTP API, usage counts, errors and
structured output are the real thing, not a hand-written imitation.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from resources.language import llama_server
from resources.language.bundled_models import smollm2_gguf


@pytest.fixture(scope="session")
def openai_server() -> Iterator[str]:
    """Base URL (with /v1) of a llama-server started for this test session."""
    with llama_server.LlamaServer(smollm2_gguf(), parallel=4, context=8192, threads=2) as server:
        yield server.base_url
