"""What this CPU offers, and why a model process died on it: shared by the CPU language
backends (`llm_ctranslate2`, `llama_server`), whose start checks report a death by an
illegal instruction in one line (issue 9)."""

from __future__ import annotations

import contextlib
import hashlib
import platform
import signal
from collections.abc import Collection
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


def cpu_flags() -> set[str]:
    """This CPU's feature flags as Linux reports them."""
    with contextlib.suppress(OSError):
        for line in CPUINFO.read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def cpu_identity() -> str:
    """A short hash of what decides which kernels a runtime picks here: the CPU's model
    name and feature flags, and the machine architecture. Another CPU (a CI runner, an
    emulated one, a migrated VM with other flags) has another identity."""
    model = ""
    with contextlib.suppress(OSError):
        for line in CPUINFO.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    described = "\0".join([platform.machine(), model, *sorted(cpu_flags())])
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def death_cause(what: str, returncode: int, needs: Collection[str] = ()) -> str:
    """One line on why process `what` ended: its exit status, or the signal and, for an
    illegal instruction, the CPU flags it `needs` that this CPU lacks."""
    if returncode >= 0:
        return f"{what} exited with status {returncode}"
    name = signal.Signals(-returncode).name
    cause = f"{what} was killed by {name}"
    if -returncode == signal.SIGILL:
        missing = sorted(set(needs) - cpu_flags())
        lacks = (
            f"this CPU lacks {', '.join(missing)}"
            if missing
            else "it needs an instruction this CPU lacks"
        )
        cause += f" (illegal instruction: {lacks})"
    return cause
