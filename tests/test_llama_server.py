"""The bundled llama-server never outlives the process that started it.

Dagster's multiprocess step workers end with `os._exit`, which skips `atexit`; before
the fix every LLM step left a ~1 GB server running. The worker here starts the real
server, reports its pid, and exits the same abrupt way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.conftest import REPO

WORKER = """
import os, sys
from resources.language.llama_server import LlamaServer
from resources.language.bundled_models import smollm2_gguf
server = LlamaServer(smollm2_gguf(), parallel=1, context=512, threads=1).start()
print(server._process.pid, flush=True)
os._exit(0)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead but still listed
        return stat.read().split()[2] != "Z"


def test_server_dies_with_a_worker_that_exits_without_cleanup():
    done = subprocess.run(
        [sys.executable, "-c", WORKER], cwd=REPO, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid), f"llama-server {pid} outlived its worker"
