"""Scaling out: steps in separate processes, the instance in PostgreSQL, the executor by env.

A tiny generated video (two shots, a tone) is served on loopback and run through the real
`process_video` job: once with the multiprocess executor through `execute_job` (every step
rebuilt from the definitions module in its own process), once against a real PostgreSQL
server with the instance configured by `deploy/dagster.postgres.yaml`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from tests.http_server import make_test_video, serve_directory
from tests.pipeline import failure_messages, project_at
from tests.scaling_fixtures import PostgresServer, postgres_server, process_video_job
from vid2learn_dagster.app.executors import (
    EXECUTOR_ENV,
    ExecutorUnavailableError,
    executor_from_env,
)

REPO = Path(__file__).resolve().parents[1]
POSTGRES_YAML = REPO / "deploy" / "dagster.postgres.yaml"
# As README recommends: step processes fork from a server that has imported the code once
# (about 2 s per step instead of 15 s on a busy 2-core machine).
MULTIPROCESS_CONFIG = {
    "max_concurrent": 2,
    "start_method": {
        "forkserver": {"preload_modules": ["dagster", "vid2learn_dagster.definitions"]}
    },
}


def _stage_names() -> list[str]:
    from assets import STAGE_ASSETS

    return [key.to_user_string() for asset in STAGE_ASSETS for key in asset.keys]


@pytest.fixture(scope="module")
def tiny_video_url(tmp_path_factory) -> Iterator[str]:
    www = tmp_path_factory.mktemp("www")
    make_test_video(www / "tiny.mp4", seconds=3.0, cuts=[1.5])
    with serve_directory(www) as server:
        yield server.url("tiny.mp4")


def test_executor_is_chosen_by_the_environment(monkeypatch):
    from vid2learn_dagster.definitions import build_definitions

    assert executor_from_env("") is None
    assert executor_from_env("multiprocess") is dg.multiprocess_executor
    with pytest.raises(ValueError, match="not one of"):
        executor_from_env("threads")
    if importlib.util.find_spec("dagster_celery") is None:
        with pytest.raises(ExecutorUnavailableError, match="pip install dagster-celery"):
            executor_from_env("celery")
    else:
        assert executor_from_env("celery").name == "celery"
    monkeypatch.setenv(EXECUTOR_ENV, "in_process")
    assert build_definitions().resolve_job_def("process_video").executor_def.name == "in_process"


@pytest.mark.slow
def test_multiprocess_executor_runs_every_step_in_its_own_process(
    tiny_video_url, tmp_path, monkeypatch
):
    from vid2learn_dagster.app.cli import add_videos

    monkeypatch.setenv(EXECUTOR_ENV, "multiprocess")  # seen by the step processes too
    with project_at(tmp_path / "project") as project:
        (key,) = add_videos(project.instance, [tiny_video_url], source="test")
        with dg.execute_job(
            dg.reconstructable(process_video_job),
            instance=project.instance,
            tags={"dagster/partition": key},
            run_config={"execution": {"config": MULTIPROCESS_CONFIG}},
        ) as result:
            assert result.success, failure_messages(result)
            assert result.job_def.executor_def.name == "multiprocess"
            starts = {
                e.step_key: e.pid
                for e in result.all_events
                if e.event_type == dg.DagsterEventType.STEP_START
            }
            steps = {node.name for node in result.job_def.nodes_in_topological_order}
        for asset in _stage_names():
            assert project.has_table(asset, key), asset
    assert len(starts) >= 2 and steps == set(starts)
    assert os.getpid() not in starts.values(), "a step ran in the test's own process"
    assert len(set(starts.values())) == len(starts), "each step gets a fresh process"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.mark.slow
def test_postgres_instance_stores_runs_partitions_and_materializations(
    postgres, tiny_video_url, tmp_path, monkeypatch
):
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    for name, value in postgres.env().items():
        monkeypatch.setenv(name, value)
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(POSTGRES_YAML, root / "dagster.yaml")  # linked into .dagster_home
    with project_at(root) as project:
        assert isinstance(project.instance.run_storage, PostgresRunStorage)
        assert isinstance(project.instance.event_log_storage, PostgresEventLogStorage)
        key, result = project.run(tiny_video_url)
        assert result.success, failure_messages(result)

    with postgres.connect() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT status FROM runs WHERE run_id = %s", (result.run_id,))
        assert cursor.fetchall() == [("SUCCESS",)]
        cursor.execute("SELECT partition FROM dynamic_partitions")
        assert cursor.fetchall() == [(key,)]
        cursor.execute(
            "SELECT DISTINCT asset_key, partition FROM event_logs "
            "WHERE dagster_event_type = 'ASSET_MATERIALIZATION' AND run_id = %s",
            (result.run_id,),
        )
        stored = {(dg.AssetKey.from_db_string(k).to_user_string(), p) for k, p in cursor}
    assert stored == {(asset, key) for asset in _stage_names()}
    assert not list((root / ".dagster_home").rglob("*.db")), "nothing may go to SQLite"
