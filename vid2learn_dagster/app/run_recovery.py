"""Runs whose process is gone: mark them failed and free their pool slots (issue 9, item 5).

`vid2learn run` executes its runs inside its own process. Killed with SIGKILL (what the
kernel's out-of-memory killer sends) it cannot report anything: its run stays STARTED and
the `gpu` pool slot its running step claimed stays claimed, so every later run waits for
that slot forever. Each CLI run therefore records which process runs it (pid, host, and
the process's start time, so a recycled pid is not mistaken for the owner), and every
`vid2learn` command starts by settling the runs whose process no longer exists: it marks
them failed (so `vid2learn rerun --missing` and the UI see them as failed) and frees their
slots. Slots still held by runs that have already finished are freed too.

Runs launched by the daemon carry no such tags; Dagster's run monitoring watches those
(`run_monitoring` in dagster.yaml).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

PID_TAG = "vid2learn/pid"
HOST_TAG = "vid2learn/host"
# Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22): a pid
# reused by another process after a kill has a different start time.
PROCESS_START_TAG = "vid2learn/process_start"

# Statuses of a run that some process is (or should be) still executing.
UNFINISHED = [
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def _process_start(pid: int) -> str | None:
    """The process's start time since boot, or None where /proc is not available."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def process_tags(pid: int | None = None) -> dict[str, str]:
    """Tags naming the process that executes a run (this process by default)."""
    pid = os.getpid() if pid is None else pid
    tags = {PID_TAG: str(pid), HOST_TAG: socket.gethostname()}
    start = _process_start(pid)
    if start is not None:
        tags[PROCESS_START_TAG] = start
    return tags


def process_alive(pid: int, start: str | None = None) -> bool:
    """Whether process `pid` exists (and, when `start` is given, is the one that started then)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists but belongs to another user
    if start is None:
        return True
    current = _process_start(pid)
    return current is None or current == start


def owner_is_gone(run: DagsterRun) -> bool:
    """True only when the run was executed by a process on this host that no longer exists.

    Runs without the tags (launched by the daemon or the UI) and runs of other hosts are
    never judged here: their process cannot be checked from this machine.
    """
    tags = run.tags
    if tags.get(HOST_TAG) != socket.gethostname() or not tags.get(PID_TAG, "").isdigit():
        return False
    return not process_alive(int(tags[PID_TAG]), tags.get(PROCESS_START_TAG))


@dataclass(frozen=True)
class RecoveredRun:
    """A run settled by `recover_runs`: marked failed (when `orphaned`), slots freed."""

    run_id: str
    job_name: str
    pid: str | None
    orphaned: bool
    pools: list[str] = field(default_factory=list)

    def describe(self) -> str:
        pools = f"; freed its {', '.join(self.pools)} pool slot(s)" if self.pools else ""
        if self.orphaned:
            return (
                f"run {self.run_id} ({self.job_name}) was left unfinished by pid {self.pid}, "
                f"which is gone: marked it failed{pools}"
            )
        return f"run {self.run_id} ({self.job_name}) had finished{pools}"


def _pools_held(instance: DagsterInstance, run_id: str) -> list[str]:
    """The pools in which `run_id` holds a slot or waits for one."""
    storage = instance.event_log_storage
    infos = storage.get_concurrency_infos(sorted(storage.get_concurrency_keys()))
    return sorted(
        pool
        for pool, info in infos.items()
        if any(slot.run_id == run_id for slot in info.claimed_slots)
        or any(step.run_id == run_id for step in info.pending_steps)
    )


def _free(instance: DagsterInstance, run_id: str) -> list[str]:
    pools = _pools_held(instance, run_id)
    if pools:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    return pools


def recover_runs(instance: DagsterInstance) -> list[RecoveredRun]:
    """Mark failed the unfinished runs whose process is gone, and free the pool slots held
    by those runs and by runs that have finished; returns what was settled."""
    recovered = []
    host_runs = instance.get_runs(
        filters=RunsFilter(statuses=UNFINISHED, tags={HOST_TAG: socket.gethostname()})
    )
    for run in host_runs:
        if not owner_is_gone(run):
            continue
        instance.report_run_failed(
            run,
            f"The process that executed this run (pid {run.tags[PID_TAG]} on "
            f"{run.tags[HOST_TAG]}) is gone, killed before it could report; marked failed "
            "by a later vid2learn command.",
        )
        recovered.append(
            RecoveredRun(
                run.run_id, run.job_name, run.tags[PID_TAG], True, _free(instance, run.run_id)
            )
        )
    if instance.event_log_storage.supports_global_concurrency_limits:
        for run_id in sorted(instance.event_log_storage.get_concurrency_run_ids()):
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                pools = _free(instance, run_id)
                job = run.job_name if run else "deleted run"
                recovered.append(RecoveredRun(run_id, job, None, False, pools))
    return recovered
