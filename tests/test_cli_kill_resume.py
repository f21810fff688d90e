"""`vid2learn run` killed with SIGKILL mid-stage, then `vid2learn rerun --missing`
(issue 9, item 5): the second command settles the dead run (failed, its `gpu` slot freed),
finishes the video, re-runs only the stages that had not finished, and leaves no partial
files. Before the fix it waited for the dead run's slot forever."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import dagster as dg
import pytest

from tests.http_server import serve_directory
from tests.pipeline import Project
from tests.test_cli_errors import VID2LEARN, cli_env
from vid2learn_dagster.sample import SAMPLE_DIR

pytestmark = pytest.mark.slow

KILL_AT_STEP = "transcript"  # a `gpu` pool step: the slot the bug left claimed
RERUN_TIMEOUT_S = 1200


def step_keys(instance: dg.DagsterInstance, run_id: str, event: dg.DagsterEventType) -> set[str]:
    return {e.step_key for e in instance.all_logs(run_id, of_type=event)}


def wait_for_step_start(
    instance: dg.DagsterInstance, process: subprocess.Popen, step: str
) -> dg.DagsterRun:
    """The CLI's run once `step` has started in it (watching the instance's event log)."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        assert process.poll() is None, f"`vid2learn run` ended before {step} started"
        for run in instance.get_runs():
            if step in step_keys(instance, run.run_id, dg.DagsterEventType.STEP_START):
                return run
        time.sleep(0.5)
    raise AssertionError(f"{step} did not start within 600 s")


def test_rerun_after_a_killed_run_finishes_the_video(tmp_path: Path) -> None:
    root = tmp_path / "project"
    env = cli_env(root)
    with serve_directory(SAMPLE_DIR) as server:
        killed = subprocess.Popen(
            [str(VID2LEARN), "run", server.url("lecture.mp4")],
            env=env,
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "killed.err").open("w"),
            start_new_session=True,
        )
        try:
            with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
                run = wait_for_step_start(instance, killed, KILL_AT_STEP)
                killed.send_signal(signal.SIGKILL)  # what the out-of-memory killer sends
                killed.wait()
        finally:
            with contextlib.suppress(ProcessLookupError):  # a child it left (ffmpeg...)
                os.killpg(killed.pid, signal.SIGKILL)

        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
            gpu = instance.event_log_storage.get_concurrency_info("gpu")
            assert run.run_id in {slot.run_id for slot in gpu.claimed_slots}
            finished = step_keys(instance, run.run_id, dg.DagsterEventType.STEP_SUCCESS)

        began = time.monotonic()
        rerun = subprocess.run(
            [str(VID2LEARN), "rerun", "--missing"],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=RERUN_TIMEOUT_S,
        )
        seconds = time.monotonic() - began
    print(f"rerun --missing after the kill: {seconds:.0f} s")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"run {run.run_id} (process_video) was left unfinished by pid {killed.pid}" in (
        rerun.stderr
    )

    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        project = Project(root, instance)
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
        later = [r for r in instance.get_runs() if r.run_id != run.run_id]
        started = set().union(
            *(step_keys(instance, r.run_id, dg.DagsterEventType.STEP_START) for r in later)
        )
        assert KILL_AT_STEP in started, "the killed stage runs again"
        assert not started & finished, "stages that had finished are not run again"
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in later)
        (key,) = instance.get_dynamic_partitions("videos")
        assert project.has_table("notebook", key)
        assert project.temp_files() == []
        assert instance.event_log_storage.get_concurrency_info("gpu").claimed_slots == []
