"""The CPU language runtime runs on any x86-64 CPU with AVX2, and `auto` survives one
that cannot start (issue 9).

A user on an AMD Zen 4 or an AVX2-only laptop got SIGILL from a server built for recent
Intel CPUs. Here the real default backend (the llama-server `.ci/install` built, serving the
default Qwen2.5-Coder Q4_K_M GGUF, so the same quantized kernels) runs under
`qemu-x86_64 -cpu Haswell-v4`, which executes only what an AVX2-only CPU has: an
instruction beyond that kills it with SIGILL and the test fails. A control shows that the
emulator does reject AVX-512.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from resources import llama_server
from resources.llm import LLMResource
from resources.llm_models import qwen_coder_gguf

HASWELL = ("-cpu", "Haswell-v4")


@pytest.fixture(scope="module")
def qemu() -> str:
    path = shutil.which("qemu-x86_64")
    assert path, "qemu-x86_64 missing: .ci/install installs Debian's qemu-user"
    return path


def _executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_the_emulated_cpu_rejects_avx512(qemu, tmp_path):
    source = tmp_path / "avx512.c"
    source.write_text(
        'int main(void) { __asm__ volatile("vpxord %%zmm0, %%zmm0, %%zmm0" ::: "xmm0");'
        " return 0; }\n"
    )
    binary = tmp_path / "avx512"
    subprocess.run(["cc", "-O0", "-o", str(binary), str(source)], check=True)
    done = subprocess.run([qemu, *HASWELL, str(binary)], capture_output=True, timeout=60)
    assert done.returncode in (-signal.SIGILL, 128 + signal.SIGILL)


@pytest.mark.slow
def test_default_backend_generates_on_an_avx2_only_cpu(qemu, tmp_path, monkeypatch):
    real = llama_server.server_binary()
    wrapper = _executable(
        tmp_path / "bin" / "llama-server", f'#!/bin/sh\nexec {qemu} -cpu Haswell-v4 {real} "$@"\n'
    )
    monkeypatch.setenv(llama_server.BINARY_ENV, str(wrapper))
    server = llama_server.LlamaServer(qwen_coder_gguf(), parallel=1, context=64, threads=2)
    # A one-token raw prompt: every prompt token costs a full forward pass under emulation
    # (a chat template's 30 tokens took minutes), and two new tokens exercise the same
    # Q4_K/Q6_K matrix-vector kernels as a whole answer.
    with server.start(timeout_s=240):
        request = urllib.request.Request(
            server.base_url.removesuffix("/v1") + "/completion",
            data=json.dumps({"prompt": "def", "n_predict": 2, "temperature": 0}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=240) as response:
            answer = json.load(response)
    assert answer["tokens_predicted"] == 2 and answer["content"]


def test_auto_reports_a_server_killed_by_sigill_once_and_uses_the_next_backend(
    tmp_path, monkeypatch, caplog
):
    """A stand-in llama-server that dies of an illegal instruction, as the old prebuilt
    one did on Zen 4: `auto` must say so in one line (with the CPU flags the build needs
    that this CPU lacks) and answer through transformers, with no minutes of retries."""
    stand_in = _executable(tmp_path / "bin" / "llama-server", "#!/bin/sh\nkill -ILL $$\n")
    needs = ["avx2", "avx512f", "avx_vnni", "amx_tile", "avx10_2"]
    (stand_in.parent / "build-info.json").write_text(json.dumps({"cpu_flags": needs}))
    monkeypatch.setenv(llama_server.BINARY_ENV, str(stand_in))
    # threads=1: a configuration no other test uses, so this process's engine cache (one
    # engine per configuration) starts empty for it and keeps it to itself.
    llm = LLMResource(model="smollm2", threads=1, batch_size=2)
    with caplog.at_level(logging.WARNING):
        first = llm.generate(["Say hello."], max_new_tokens=8)
        second = llm.generate(["Say goodbye."], max_new_tokens=8)
    assert llm.loaded().backend == "transformers"
    assert first[0].completion_tokens > 0 and second[0].completion_tokens > 0
    reports = [r.getMessage() for r in caplog.records if "cannot start" in r.getMessage()]
    assert len(reports) == 1, reports
    missing = sorted(set(needs) - llama_server.cpu_flags())
    assert "SIGILL" in reports[0] and f"this CPU lacks {', '.join(missing)}" in reports[0]
    assert "\n" not in reports[0]
