"""Peak memory of the benchmark process and every process it starts, llama-server included.

Why not `getrusage`: `RUSAGE_CHILDREN` counts only children that have ended and been
waited for, and the llama-server child lives until the interpreter exits, so its ~1-2 GB
never appeared in the figure. A background thread instead reads `/proc` every
`interval_s`: each process's `VmHWM` (its own peak resident set, kept by the kernel, so a
peak between two samples is not missed) and the simultaneous resident sum of the whole
process tree (`VmRSS`; that one is sampled, so a short spike can slip between samples).
`snapshot()` reads once more, so call it before servers stop. The tree's sampled resident
sum is also kept with its time, so `peak_between()` can say which pipeline stage needed
the memory.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


def _status_kib(pid: int, keys: tuple[str, ...]) -> dict[str, int]:
    """The named `/proc/<pid>/status` fields in KiB ({} when the process is gone)."""
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in keys:
                values[name] = int(rest.split()[0])
    return values


def _name(pid: int) -> str:
    with contextlib.suppress(OSError):
        return (PROC / str(pid) / "comm").read_text().strip()
    return "?"


def descendants(root: int) -> list[int]:
    """`root` and every live process below it, from each process's parent in `/proc`."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The field after the parenthesised command name is the state, then the ppid.
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


@dataclass
class ProcessPeak:
    pid: int
    name: str
    peak_kib: int = 0
    alive: bool = True


@dataclass
class TreeMemory:
    """Samples the memory of this process's tree until `stop()`; a context manager."""

    interval_s: float = 0.5
    root: int = field(default_factory=os.getpid)
    peaks: dict[int, ProcessPeak] = field(default_factory=dict)
    peak_tree_rss_kib: int = 0
    peak_concurrent_kib: int = 0
    timeline: list[tuple[float, int]] = field(default_factory=list)  # (epoch s, tree KiB)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="tree-memory", daemon=True)

    def sample(self) -> None:
        """Read every process of the tree once."""
        tree_rss = concurrent = 0
        with self._lock:
            for peak in self.peaks.values():
                peak.alive = False
            for pid in descendants(self.root):
                status = _status_kib(pid, ("VmHWM", "VmRSS"))
                if not status:
                    continue
                tree_rss += status.get("VmRSS", 0)
                peak = self.peaks.setdefault(pid, ProcessPeak(pid, _name(pid)))
                peak.peak_kib = max(peak.peak_kib, status.get("VmHWM", 0))
                peak.alive = True
                peak.name = _name(pid)  # the first look may precede the child's exec
                concurrent += peak.peak_kib
            self.peak_tree_rss_kib = max(self.peak_tree_rss_kib, tree_rss)
            self.peak_concurrent_kib = max(self.peak_concurrent_kib, concurrent)
            self.timeline.append((time.time(), tree_rss))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def start(self) -> TreeMemory:
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.sample()

    def __enter__(self) -> TreeMemory:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def peak_between(self, start: float, end: float) -> float | None:
        """The highest sampled resident sum of the tree, in MiB, between two epoch times
        (None when no sample fell between them: a stage shorter than the interval)."""
        with self._lock:
            inside = [kib for t, kib in self.timeline if start <= t <= end]
        return round(max(inside) / 1024, 1) if inside else None

    def snapshot(self, min_mib: float = 50.0) -> dict:
        """Peaks so far, in MiB: per process (those above `min_mib`, biggest first; the
        rest, short helpers such as ffmpeg, only counted), an upper bound of the whole
        tree's peak (the most, over all samples, that the peaks of the processes alive at
        one sample add up to: a child that ended before another started, such as the LLM
        start check before the model loads, is not added to it; the peaks need not
        coincide) and the sampled simultaneous peak of the tree."""
        self.sample()
        with self._lock:
            peaks = sorted(self.peaks.values(), key=lambda p: p.peak_kib, reverse=True)
            tree_kib = self.peak_tree_rss_kib
        big = [p for p in peaks if p.peak_kib / 1024 >= min_mib]
        small = [p for p in peaks if p.peak_kib / 1024 < min_mib]
        return {
            "processes": [
                {
                    "pid": p.pid,
                    "name": "benchmark (python)" if p.pid == self.root else p.name,
                    "peak_mib": round(p.peak_kib / 1024, 1),
                }
                for p in big
            ],
            "other_processes": len(small),
            "other_peak_mib_max": round(max((p.peak_kib for p in small), default=0) / 1024, 1),
            "peak_concurrent_mib": round(self.peak_concurrent_kib / 1024, 1),
            "peak_tree_rss_mib": round(tree_kib / 1024, 1),
        }
