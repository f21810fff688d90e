"""A run whose process was killed must not hang every later run (issue 9, item 5).

A real process runs a real job whose step holds the `gpu` pool's only slot, and is killed
with SIGKILL (what the kernel's out-of-memory killer sends): its run stays STARTED and
the slot stays claimed, as in the bug. Recovery must mark that run failed and free the
slot, so the next run of the pool goes through; while the holder is alive, a run waiting
for the slot says which run (and which pid) holds it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from vid2learn_dagster.app.progress import run_with_progress
from vid2learn_dagster.app.run_recovery import (
    HOST_TAG,
    PROCESS_START_TAG,
    owner_is_gone,
    process_alive,
    process_tags,
    recover_runs,
)

REPO = Path(__file__).resolve().parents[1]


@dg.asset(pool="gpu")
def model_step() -> int:
    """Stands in for a model stage: sleeps while holding a `gpu` slot when told to."""
    hold = os.environ.get("HOLD_SLOT_S")
    if hold:
        Path(os.environ["HOLDING_FLAG"]).touch()
        time.sleep(float(hold))
    return 1


JOB = dg.Definitions(assets=[model_step]).resolve_implicit_global_asset_job_def()


def hold_gpu_slot() -> None:
    """Run in a child process: execute JOB like `vid2learn run` does (tags included)."""
    with dg.DagsterInstance.get() as instance:
        instance.event_log_storage.set_concurrency_slots("gpu", 1)
        JOB.execute_in_process(instance=instance, tags=process_tags())


@dataclass
class Holder:
    process: subprocess.Popen
    run: dg.DagsterRun


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    """A SQLite instance (pools need real storage) with one `gpu` slot."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.get() as instance:
        instance.event_log_storage.set_concurrency_slots("gpu", 1)
        yield instance


@pytest.fixture
def holder(instance: dg.DagsterInstance, tmp_path: Path) -> Iterator[Holder]:
    """A live process whose run holds the `gpu` slot (its step is sleeping)."""
    flag = tmp_path / "holding"
    env = dict(os.environ, HOLD_SLOT_S="600", HOLDING_FLAG=str(flag), PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [sys.executable, "-c", "from tests.test_run_recovery import hold_gpu_slot as h; h()"],
        env=env,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert process.poll() is None, "the holder died before its step started"
            assert time.monotonic() < deadline, "the holder's step never started"
            time.sleep(0.2)
        (run,) = instance.get_runs()
        yield Holder(process, run)
    finally:
        process.kill()
        process.wait()


def slot_holders(instance: dg.DagsterInstance) -> set[str]:
    return {s.run_id for s in instance.event_log_storage.get_concurrency_info("gpu").claimed_slots}


def test_a_killed_run_is_marked_failed_and_its_slot_freed(instance, holder):
    assert slot_holders(instance) == {holder.run.run_id}
    assert recover_runs(instance) == [], "a live process's run is left alone"

    holder.process.send_signal(signal.SIGKILL)
    holder.process.wait()
    # What the bug left behind: nobody reported anything.
    assert instance.get_run_by_id(holder.run.run_id).status == dg.DagsterRunStatus.STARTED
    assert slot_holders(instance) == {holder.run.run_id}

    (recovered,) = recover_runs(instance)
    assert recovered.run_id == holder.run.run_id and recovered.pools == ["gpu"]
    assert f"pid {holder.process.pid}" in recovered.describe()
    assert instance.get_run_by_id(holder.run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert slot_holders(instance) == set()
    assert recover_runs(instance) == [], "settled once"

    # The next run of the pool goes through at once instead of waiting forever.
    started = time.monotonic()
    assert JOB.execute_in_process(instance=instance, tags=process_tags()).success
    assert time.monotonic() - started < 30


def test_a_step_waiting_for_a_slot_names_the_run_holding_it(instance, holder, capsys):
    run_id = str(uuid.uuid4())
    result: list[dg.ExecuteInProcessResult] = []
    waiter = threading.Thread(
        target=lambda: result.append(
            run_with_progress(
                instance,
                run_id,
                1,
                "waiter",
                lambda: JOB.execute_in_process(instance=instance, run_id=run_id),
                poll_s=0.2,
            )
        )
    )
    waiter.start()
    expected = (
        f"waiter: waiting for pool gpu: held by run {holder.run.run_id} "
        f"(__ASSET_JOB, started by pid {holder.process.pid})"
    )
    deadline = time.monotonic() + 60
    said = ""
    while expected not in said and time.monotonic() < deadline:
        time.sleep(0.2)
        said += capsys.readouterr().err
    assert expected in said

    holder.process.send_signal(signal.SIGKILL)
    holder.process.wait()
    recover_runs(instance)  # what the next `vid2learn` command does at start
    # Dagster re-checks a blocked claim at growing intervals (at most 15 s); a loaded
    # 2-core machine needs more than a minute for the whole run to finish.
    waiter.join(timeout=180)
    assert not waiter.is_alive(), (
        "the waiting run must proceed once the slot is freed; "
        f"slots still held by {slot_holders(instance)}"
    )
    assert result[0].success


def test_only_dead_processes_of_this_host_count_as_gone():
    finished = subprocess.Popen(["true"])
    finished.wait()
    mine = dg.DagsterRun(job_name="j", run_id=str(uuid.uuid4()), tags=process_tags())
    dead = dg.DagsterRun(job_name="j", run_id=str(uuid.uuid4()), tags=process_tags(finished.pid))
    remote = dg.DagsterRun(
        job_name="j",
        run_id=str(uuid.uuid4()),
        tags={**process_tags(finished.pid), HOST_TAG: "another-machine"},
    )
    untagged = dg.DagsterRun(job_name="j", run_id=str(uuid.uuid4()))
    assert not owner_is_gone(mine)
    assert owner_is_gone(dead)
    assert not owner_is_gone(remote), "another host's pid cannot be checked here"
    assert not owner_is_gone(untagged), "daemon-launched runs are run monitoring's job"


def test_a_reused_pid_is_not_mistaken_for_the_runs_process():
    tags = process_tags()
    assert process_alive(os.getpid(), tags.get(PROCESS_START_TAG))
    if PROCESS_START_TAG in tags:
        assert not process_alive(os.getpid(), "1"), "same pid, another start time"
