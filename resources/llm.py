"""Text generation behind one interface, from 2 CPU cores to vLLM on a GPU.

Backends (`LLMResource.backend`):
- "ctranslate2": the CPU default (`resources.llm_ctranslate2`). CTranslate2 picks its
  kernels at run time, so its pip wheel runs on any x86-64 CPU, Intel or AMD; the bundled
  GGUF is converted to int8 once per machine (`resources.llm_conversion`). One batched
  `generate_batch` per call, the prompts' shared instruction computed once (issue 9).
- "llama-server": llama.cpp's server, built portably for any x86-64 CPU with AVX2 by
  `.ci/install` (`resources.llama_server`), started on loopback; it batches by decoding
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
transformers ignores it, so callers parse tolerantly (`vid2learn_dagster.llm_output`).
Models load once per process (module cache).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import dagster as dg

from resources import llama_server
from resources.llm_base import Engine, Generation, LLMBackendMissing, Message, Prompt
from resources.llm_ctranslate2 import CTranslate2Engine, CTranslate2Failed
from resources.llm_models import QWEN_CODER, SMOLLM2_GGUF, qwen_coder_gguf, smollm2_gguf
from resources.llm_openai import OpenAIEngine
from vid2learn_dagster.llm_output import strip_echo

Backend = Literal["auto", "ctranslate2", "llama-server", "transformers", "openai", "vllm"]

SMOLLM2 = "smollm2"
# KV cache per parallel sequence for llama-server: a topic prompt plus its answer fits.
# Qwen2.5-1.5B's cache costs ~28 KB per token, so 8 x 4096 is ~0.9 GB; the cache is
# unified, so one long prompt may use what idle slots leave.
CONTEXT_PER_SEQUENCE = 4096


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


def _instruction(conversation: list[Message]) -> str:
    """The text a small model tends to repeat back: the system messages and the first
    paragraph of the last user message, where the templates put the task (data comes
    after it, and is never included, since a faithful rewrite may legitimately copy it)."""
    systems = [m["content"] for m in conversation if m.get("role") == "system"]
    users = [m["content"] for m in conversation if m.get("role") == "user"]
    paragraphs = users[-1].strip().split("\n\n") if users else []
    # A message of one paragraph (a plain prompt string) has no separate instruction.
    task = paragraphs[0] if len(paragraphs) > 1 else ""
    return "\n".join([*systems, task])


class _TransformersEngine:
    def __init__(self, model: str, threads: int, batch_size: int) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as error:
            raise LLMBackendMissing(
                "transformers backend needs torch, transformers, gguf and accelerate: "
                "pip install 'vid2learn[ai]'"
            ) from error
        torch.set_num_threads(threads)
        path = model_path(model)
        source, extra = (str(path.parent), {"gguf_file": path.name}) if path else (model, {})
        self.tokenizer = AutoTokenizer.from_pretrained(source, **extra)
        self.tokenizer.padding_side = "left"  # decoder-only: new tokens follow the prompt
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, **extra)
        self.model.eval()
        self.batch_size = batch_size

    def generate(
        self,
        conversations: list[list[Message]],
        max_new_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
    ) -> list[Generation]:
        texts = [
            self.tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
            for c in conversations
        ]
        # Similar lengths share a batch, so little compute goes to padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        results: dict[int, Generation] = {}
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            outputs = self._generate_batch([texts[i] for i in batch], max_new_tokens, temperature)
            results.update(zip(batch, outputs, strict=True))
        return [results[i] for i in range(len(texts))]

    def _generate_batch(
        self, texts: list[str], max_new_tokens: int, temperature: float
    ) -> list[Generation]:
        import torch
        from transformers import GenerationConfig

        encoded = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {}
        config = GenerationConfig(
            max_new_tokens=max_new_tokens,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=self.model.generation_config.eos_token_id,
            **sampling,
        )
        with torch.inference_mode():
            output = self.model.generate(**encoded, generation_config=config)
        new_tokens = output[:, encoded["input_ids"].shape[1] :]
        stops = set(torch.tensor(config.eos_token_id).flatten().tolist()) | {config.pad_token_id}
        generations = []
        for row, mask in zip(new_tokens.tolist(), encoded["attention_mask"], strict=True):
            length = next((i + 1 for i, token in enumerate(row) if token in stops), len(row))
            text = self.tokenizer.decode(row[:length], skip_special_tokens=True)
            generations.append(Generation(text, int(mask.sum()), length))
        return generations


class _LlamaServerEngine(OpenAIEngine):
    """A private llama-server child process (stopped at interpreter exit) behind the
    OpenAI client; its parallel slots equal the client's concurrency."""

    def __init__(self, model: str, threads: int, batch_size: int, timeout_s: float) -> None:
        import atexit

        gguf = model_path(model)
        if gguf is None:
            raise ValueError(f"llama-server needs a GGUF file, not {model!r}")
        self.server = llama_server.LlamaServer(
            gguf, parallel=batch_size, context=CONTEXT_PER_SEQUENCE * batch_size, threads=threads
        ).start(timeout_s)
        atexit.register(self.server.stop)
        super().__init__(self.server.base_url, "", gguf.name, batch_size, timeout_s, max_retries=1)


class _VLLMEngine:
    def __init__(self, model: str) -> None:
        try:
            from vllm import LLM
        except ImportError as error:
            raise LLMBackendMissing(
                "vllm backend needs a GPU and: pip install 'vid2learn[gpu]'"
            ) from error
        # The default is the same GGUF as on CPU (works offline; vLLM converts its tokenizer).
        path = model_path(model)
        self.llm = LLM(model=str(path) if path else model, seed=0)

    def generate(
        self,
        conversations: list[list[Message]],
        max_new_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
    ) -> list[Generation]:
        from vllm import SamplingParams

        params = SamplingParams(
            temperature=temperature, max_tokens=max_new_tokens, **_vllm_structured(json_schema)
        )
        outputs = self.llm.chat(conversations, params, use_tqdm=False)
        return [
            Generation(
                o.outputs[0].text, len(o.prompt_token_ids or []), len(o.outputs[0].token_ids)
            )
            for o in outputs
        ]


def _vllm_structured(json_schema: dict[str, Any] | None) -> dict[str, Any]:
    """SamplingParams keywords for JSON-schema guided decoding across vLLM versions."""
    if json_schema is None:
        return {}
    try:  # vLLM >= 0.10.2
        from vllm.sampling_params import StructuredOutputsParams

        return {"structured_outputs": StructuredOutputsParams(json=json_schema)}
    except ImportError:
        from vllm.sampling_params import GuidedDecodingParams

        return {"guided_decoding": GuidedDecodingParams(json=json_schema)}


def _has_gpu_vllm() -> bool:
    if importlib.util.find_spec("vllm") is None:
        return False
    import torch

    return torch.cuda.is_available()


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
    if backend == "ctranslate2":
        gguf = model_path(settings.model)
        if gguf is None:
            raise ValueError(f"the ctranslate2 backend converts a GGUF, not {settings.model!r}")
        return CTranslate2Engine(gguf, settings.threads, settings.batch_size)
    if backend == "llama-server":
        return _LlamaServerEngine(
            settings.model, settings.threads, settings.batch_size, settings.timeout_s
        )
    if backend == "transformers":
        return _TransformersEngine(settings.model, settings.threads, settings.batch_size)
    if backend == "vllm":
        return _VLLMEngine(settings.model)
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
        if _has_gpu_vllm():
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
            replace(g, text=strip_echo(g.text, _instruction(c)))
            for g, c in zip(generations, conversations, strict=True)
        ]
