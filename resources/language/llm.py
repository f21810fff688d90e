"""Text generation behind one interface, from 2 CPU cores to vLLM on a GPU.

This module picks and caches a backend; each backend is a file of its own behind the
`Engine` interface of `resources.language.base` (`llm_ctranslate2`, `llama_server`,
`llm_transformers`, `llm_openai`, `llm_vllm`). Backends (`LLMResource.backend`):
- "ctranslate2": the CPU default (`resources.language.ctranslate2`). CTranslate2 picks its
  kernels at run time, so its pip wheel runs on any x86-64 CPU, Intel or AMD; the bundled
  GGUF is converted to int8 once per machine (`resources.language.conversion`). One batched
  `generate_batch` per call, the prompts' shared instruction computed once (issue 9).
- "llama-server": llama.cpp's server, built portably for any x86-64 CPU with AVX2 by
  `.ci/install` (`resources.language.llama_server`), started on loopback; it batches by decoding
  parallel slots together and enforces `json_schema`. About 3x slower than ctranslate2
  on 2 cores (issue 9 benchmark note); the first fallback.
- "transformers": the same GGUF dequantized into a PyTorch model; batched `generate`
  with left padding. Slow and memory-hungry (fp32), but it runs wherever torch does:
  the last fallback.
- "openai": any OpenAI-compatible server (vLLM, llama.cpp, a hosted API); the prompts
  of one call are sent concurrently.
- "vllm": in-process `vllm.LLM`, one batched `chat` over all prompts; GPU only.
- "auto": openai if `base_url` is set, vllm with a GPU, else the CPU backends in the order
  above, each checked once per process: one that cannot start is reported in one log line
  (what died, which CPU flags are missing) and the next is used (issue 9).

`model`: "" is the default model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M), "smollm2" the
bundled SmolLM2-135M (fast, for plumbing tests), else a GGUF path, a Hugging Face id or
folder, or a served model name.

A prompt is a string (one user message) or a list of chat messages. Greedy decoding by
default, so a re-run reproduces its text. `json_schema` is enforced by vllm, openai and
llama-server (guided decoding); ctranslate2 starts the answer at its opening brace and
transformers ignores it, so callers parse tolerantly (`vid2learn_dagster.language.llm_output`).
Models load once per process (module cache).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import dagster as dg

from resources.language import llama_server
from resources.language.base import (
    Engine,
    Generation,
    LLMBackendMissing,
    Message,
    Prompt,
    instruction,
)
from resources.language.bundled_models import (
    QWEN_CODER,
    SMOLLM2_GGUF,
    qwen_coder_gguf,
    smollm2_gguf,
)
from resources.language.ctranslate2 import CTranslate2Engine, CTranslate2Failed
from resources.language.openai import OpenAIEngine
from resources.language.transformers import TransformersEngine
from resources.language.vllm import VLLMEngine, has_gpu_vllm
from vid2learn_dagster.language.llm_output import strip_echo

Backend = Literal["auto", "ctranslate2", "llama-server", "transformers", "openai", "vllm"]

SMOLLM2 = "smollm2"


def model_path(model: str) -> Path | None:
    """The GGUF a local backend loads for `model`: the default Qwen (joined into the model
    cache on first use), the bundled SmolLM2, a .gguf path; None for a hub id or folder."""
    if not model:
        return qwen_coder_gguf()
    if model == SMOLLM2:
        return smollm2_gguf()
    return Path(model) if model.endswith(".gguf") else None


def model_name(model: str) -> str:
    """What the code version calls a model: the GGUF's file name, else the id as given."""
    if not model:
        return QWEN_CODER.filename
    if model == SMOLLM2:
        return SMOLLM2_GGUF
    return Path(model).name if model.endswith(".gguf") else model


def _conversation(prompt: Prompt) -> list[Message]:
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt


@dataclass(frozen=True)
class EngineSettings:
    """Everything that identifies a loaded engine: the key of the process-wide cache."""

    backend: str
    model: str
    base_url: str
    api_key_env: str
    threads: int
    batch_size: int
    timeout_s: float
    max_retries: int


def _build(backend: str, settings: EngineSettings) -> Engine:
    gguf = model_path(settings.model)
    if backend in ("ctranslate2", "llama-server") and gguf is None:
        raise ValueError(f"the {backend} backend runs a GGUF file, not {settings.model!r}")
    if backend == "ctranslate2":
        return CTranslate2Engine(gguf, settings.threads, settings.batch_size)
    if backend == "llama-server":
        return llama_server.LlamaServerEngine(
            gguf, settings.threads, settings.batch_size, settings.timeout_s
        )
    if backend == "transformers":
        return TransformersEngine(gguf or settings.model, settings.threads, settings.batch_size)
    if backend == "vllm":
        return VLLMEngine(str(gguf) if gguf else settings.model)
    if backend == "openai":
        if not settings.base_url:
            raise ValueError("the openai backend needs base_url (e.g. http://127.0.0.1:8000/v1)")
        api_key = os.environ.get(settings.api_key_env, "")
        return OpenAIEngine(
            settings.base_url,
            api_key,
            settings.model,
            settings.batch_size,
            settings.timeout_s,
            settings.max_retries,
        )
    raise ValueError(f"unknown LLM backend {backend!r}")


@dataclass(frozen=True)
class LoadedEngine:
    engine: Engine
    backend: str  # the backend that actually runs (auto may have fallen back)


# The CPU preference of `auto`, best first: each is tried once per process.
CPU_BACKENDS = ("ctranslate2", "llama-server", "transformers")


@functools.cache
def load_engine(preferred: str, settings: EngineSettings) -> LoadedEngine:
    """One engine per configuration per process: loading a model takes seconds to minutes.

    For `auto` on CPU, a backend that cannot start (a server killed by SIGILL, a binary
    not built) is reported in one log line and the next one is used; the failure is
    remembered with the engine, so it is never retried within the process.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads starve 2 cores
    if settings.backend != "auto":
        return LoadedEngine(_build(settings.backend, settings), settings.backend)
    candidates = [preferred] if preferred not in CPU_BACKENDS else list(CPU_BACKENDS)
    for backend in candidates[:-1]:
        try:
            return LoadedEngine(_build(backend, settings), backend)
        except (
            CTranslate2Failed,
            LLMBackendMissing,
            llama_server.LlamaServerFailed,
            llama_server.LlamaServerMissing,
        ) as error:
            reason = str(error).splitlines()[0]
            dg.get_dagster_logger().warning(
                f"LLM backend {backend} cannot start, trying the next: {reason}"
            )
    return LoadedEngine(_build(candidates[-1], settings), candidates[-1])


_LOADING = threading.Lock()  # one load at a time: a preload and a step may ask together
_PRELOADING: set[tuple[str, EngineSettings]] = set()


def _loaded(preferred: str, settings: EngineSettings) -> LoadedEngine:
    with _LOADING:
        return load_engine(preferred, settings)


def _preload(preferred: str, settings: EngineSettings) -> None:
    """Load the engine on a background thread, so that the model's load (its start check,
    the weights, the tokenizer: ~10 s on 2 cores) overlaps the stages before the first
    language stage, whose call then waits on the lock instead of loading (issue 9).

    A failure is left to that call to raise. The thread then stays parked: a llama-server
    the fallback may have started is stopped when the thread that started it ends
    (`llama_server._stop_with_parent`), and it must live as long as the process."""
    key = (preferred, settings)
    if key in _PRELOADING:
        return
    _PRELOADING.add(key)

    def load_and_park() -> None:
        with contextlib.suppress(Exception):
            _loaded(preferred, settings)
        threading.Event().wait()

    threading.Thread(target=load_and_park, name="llm-preload", daemon=True).start()


class LLMResource(dg.ConfigurableResource):
    """Generates text for the rewrite, blend and notebook assets (see module docstring)."""

    backend: Backend = "auto"
    model: str = ""  # "" = Qwen2.5-Coder-1.5B GGUF, "smollm2", a GGUF path, HF id or served name
    base_url: str = ""  # openai backend, including /v1
    api_key_env: str = "OPENAI_API_KEY"  # name of the env var holding the key, never the key
    threads: int = 2
    batch_size: int = 8  # sequences decoded together / concurrent requests (see benchmark)
    timeout_s: float = 300.0
    max_retries: int = 3
    preload: bool = True  # load the model as a run starts, not at its first language stage

    def resolved_backend(self) -> str:
        """The backend this configuration prefers, decided without loading anything."""
        if self.backend != "auto":
            return self.backend
        if self.base_url:
            return "openai"
        if has_gpu_vllm():
            return "vllm"
        return "ctranslate2"

    def _settings(self) -> EngineSettings:
        return EngineSettings(
            self.backend,
            self.model,
            self.base_url,
            self.api_key_env,
            self.threads,
            self.batch_size,
            self.timeout_s,
            self.max_retries,
        )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """As a run that has a language stage starts, begin loading the CPU default model
        in the background (`_preload`). Only for in-process CTranslate2: a GPU or a remote
        server has nothing to gain from it, and vLLM wants the main thread."""
        if self.preload and self.resolved_backend() == "ctranslate2":
            _preload(self.resolved_backend(), self._settings())

    def loaded(self) -> LoadedEngine:
        """The process's engine for this configuration, started on first use."""
        return _loaded(self.resolved_backend(), self._settings())

    @property
    def model_id(self) -> str:
        """Backend and model, e.g. `llama-server:qwen2.5-coder-1.5b-instruct-q4_k_m.gguf`:
        part of every LLM asset's code version, so it is derived from configuration
        without loading anything (definitions load it)."""
        backend = self.resolved_backend()
        if backend == "openai":
            return f"openai:{self.model or self.base_url}"
        return f"{backend}:{model_name(self.model)}"

    def generate(
        self,
        prompts: list[Prompt],
        *,
        max_new_tokens: int,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> list[Generation]:
        """One generation per prompt, in order, computed as one batch where the backend can.

        Output lines repeating the prompt's instruction (system message and task) are removed.
        """
        if not prompts:
            return []
        conversations = [_conversation(p) for p in prompts]
        generations = self.loaded().engine.generate(
            conversations, max_new_tokens, temperature, json_schema
        )
        if json_schema is not None:
            return generations
        return [
            replace(g, text=strip_echo(g.text, "\n".join(m["content"] for m in instruction(c))))
            for g, c in zip(generations, conversations, strict=True)
        ]
