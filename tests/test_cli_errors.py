"""What a new user sees when a video fails (issue 9, item 4): `vid2learn run`'s last line
names the cause in one line; the traceback stays in the run's log; Dagster's Beta and
Preview notices never reach the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from tests.http_server import LoopbackServer, http_server_fixture  # noqa: F401
from tests.pipeline import PLUMBING_LLM
from vid2learn_dagster.app.failures import failure_cause
from vid2learn_dagster.ingest.urls import video_key

REPO = Path(__file__).resolve().parents[1]
VID2LEARN = Path(sys.executable).parent / "vid2learn"


def cli_env(project: Path) -> dict[str, str]:
    """The environment of a user running `vid2learn` in the project folder `project`
    (created, with the repository's dagster.yaml); language stages on the plumbing model."""
    project.mkdir(exist_ok=True)
    (project / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    (project / ".dg").mkdir(exist_ok=True)
    (project / ".dg" / "dagster.yaml").symlink_to(project / "dagster.yaml")
    env = dict(
        os.environ,
        VID2LEARN_HOME=str(project),
        DAGSTER_HOME=str(project / ".dg"),
        VID2LEARN_LLM_MODEL=PLUMBING_LLM,
    )
    for var in ("VID2LEARN_DATA", "VID2LEARN_WAREHOUSE", "VID2LEARN_CATALOG"):
        env.pop(var, None)
    return env


def run_cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`vid2learn ARGS` as a user runs it, in a fresh project folder."""
    return subprocess.run(
        [str(VID2LEARN), *args],
        env=cli_env(project),
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_404_ends_with_one_line_naming_it_and_the_traceback_stays_in_the_run_log(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    url = http_server.url("missing-lecture.mp4")
    done = run_cli(tmp_path / "project", "run", url)

    assert done.returncode == 1
    key, status = done.stdout.strip().splitlines()[-1].split("\t")
    assert key == video_key(url)
    assert status.startswith(f"FAILED: source_video: HTTP 404 fetching {url}")
    assert "\n" not in status
    assert "Traceback" not in done.stdout + done.stderr
    for notice in ("BetaWarning", "PreviewWarning", "SupersessionWarning"):
        assert notice not in done.stderr

    with dg.DagsterInstance.from_config(str(tmp_path / "project" / ".dg")) as instance:
        (run,) = instance.get_runs()
        failures = [
            e.dagster_event
            for e in instance.all_logs(run.run_id)
            if e.dagster_event and e.dagster_event.is_step_failure
        ]
    assert failures and failures[0].step_failure_data.error.stack, "the traceback is kept"
    assert run.tags["vid2learn/pid"].isdigit()


@dg.asset
def parse_slides() -> None:
    try:
        int("slide seven")
    except ValueError as err:
        raise RuntimeError("slide 7 has no number\nsecond line of detail") from err


def test_a_plain_exception_gives_its_own_first_line_not_dagsters_wrapper() -> None:
    job = dg.Definitions(assets=[parse_slides]).resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert failure_cause(result.all_events) == "parse_slides: slide 7 has no number"
    assert failure_cause([]) is None
