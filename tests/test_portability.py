"""The CPU language runtime runs on any x86-64 CPU with AVX2, and `auto` survives one
that cannot start (issue 9).

A user on an AMD Zen 4 or an AVX2-only laptop got SIGILL from a server built for recent
Intel CPUs. Here the real default backend, CTranslate2 with an int8 model converted from a
bundled GGUF (the same int8 kernels as the default Qwen; the small SmolLM2 keeps emulation
short), runs under `qemu-x86_64` as an AVX2-only Intel CPU (Haswell-v4) and as an AMD one
(EPYC-Rome, where CTranslate2 picks other kernels than on Intel), executing only what those
CPUs have: an instruction beyond that kills it with SIGILL and the test fails. So does the
llama-server `.ci/install` builds, the first fallback, with the default Qwen GGUF. A
control shows that the emulator does reject AVX-512.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from resources.language import ctranslate2, llama_server
from resources.language.bundled_models import qwen_coder_gguf, smollm2_gguf
from resources.language.conversion import converted_model
from resources.language.cpu import cpu_flags
from resources.language.llm import LLMResource

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
@pytest.mark.parametrize(
    ("cpu", "vendor", "gemm"),
    [("Haswell-v4", "GenuineIntel", "MKL"), ("EPYC-Rome-v1", "AuthenticAMD", "DNNL")],
)
def test_default_backend_generates_on_an_avx2_only_cpu(
    qemu, cpu, vendor, gemm, tmp_path, monkeypatch
):
    """The start check `auto` runs (two new tokens from the int8 model in a child
    interpreter) passes with that interpreter emulated as an AVX2-only CPU; CTranslate2's
    own report proves it saw that CPU (this machine's may have AVX-512) and took that
    vendor's int8 kernels."""
    python = _executable(
        tmp_path / "python", f'#!/bin/sh\nexec {qemu} -cpu {cpu} {sys.executable} "$@"\n'
    )
    monkeypatch.setattr(ctranslate2, "PROBE_PYTHON", str(python))
    kernels = ctranslate2.check_starts(converted_model(smollm2_gguf()), ["def"], timeout_s=240)
    assert kernels.startswith(vendor) and "AVX2=true, AVX512=false" in kernels, kernels
    assert kernels.endswith(f"ISA AVX2, int8 GEMM {gemm}"), kernels


@pytest.mark.slow
def test_first_fallback_generates_on_an_avx2_only_cpu(qemu, tmp_path, monkeypatch):
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


def test_auto_reports_each_backend_killed_by_sigill_once_and_uses_the_next(
    tmp_path, monkeypatch, caplog
):
    """Stand-ins that die of an illegal instruction, as the old prebuilt llama-server did
    on Zen 4: for CTranslate2 the interpreter of its start check, for llama-server the
    server. `auto` must say so in one line per backend (for the server, with the CPU flags
    its build needs that this CPU lacks) and answer through transformers, with no minutes
    of retries."""
    dies = "#!/bin/sh\nkill -ILL $$\n"
    monkeypatch.setattr(ctranslate2, "PROBE_PYTHON", str(_executable(tmp_path / "py", dies)))
    stand_in = _executable(tmp_path / "bin" / "llama-server", dies)
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
    assert len(reports) == 2, reports
    assert reports[0].startswith("LLM backend ctranslate2 cannot start")
    assert "killed by SIGILL (illegal instruction" in reports[0]
    missing = sorted(set(needs) - cpu_flags())
    assert reports[1].startswith("LLM backend llama-server cannot start")
    assert "SIGILL" in reports[1] and f"this CPU lacks {', '.join(missing)}" in reports[1]
    assert not any("\n" in r for r in reports)


def test_a_start_check_that_passed_is_kept_per_cpu_and_interpreter(tmp_path, monkeypatch):
    """The start check runs once per machine, not once per pipeline process (5 s of 2
    cores and a second copy of the model each run, issue 12); a check that failed is never
    kept, and another interpreter (here: one that dies of SIGILL) is checked afresh."""
    model = tmp_path / "model"
    shutil.copytree(converted_model(smollm2_gguf()), model)
    (model / ctranslate2.STARTS_FILE).unlink(missing_ok=True)  # kept by an earlier engine
    checks = []
    real_check = ctranslate2.check_starts

    def counted(*args, **kwargs):
        checks.append(ctranslate2.PROBE_PYTHON)
        return real_check(*args, **kwargs)

    monkeypatch.setattr(ctranslate2, "check_starts", counted)
    first = ctranslate2.proven_start(model, ["def"])
    assert ctranslate2.proven_start(model, ["def"]) == first and len(checks) == 1
    assert "ISA" in first
    dies = _executable(tmp_path / "py", "#!/bin/sh\nkill -ILL $$\n")
    monkeypatch.setattr(ctranslate2, "PROBE_PYTHON", str(dies))
    for _ in range(2):
        with pytest.raises(ctranslate2.CTranslate2Failed, match="SIGILL"):
            ctranslate2.proven_start(model, ["def"])
    assert len(checks) == 3, "a failed check is checked again"
    kept = json.loads((model / ctranslate2.STARTS_FILE).read_text())
    assert list(kept.values()) == [first]
    # A record that cannot be written (here a folder in its place): checked, not kept, no
    # error and no temp file left behind.
    (model / ctranslate2.STARTS_FILE).unlink()
    (model / ctranslate2.STARTS_FILE).mkdir()
    monkeypatch.setattr(ctranslate2, "PROBE_PYTHON", sys.executable)
    assert ctranslate2.proven_start(model, ["def"]) == first and len(checks) == 4
    assert not list(model.glob(f".{ctranslate2.STARTS_FILE}.*")), "no temp file left"
