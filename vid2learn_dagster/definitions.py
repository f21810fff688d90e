"""The one Definitions object (loaded by `dagster dev -w workspace.yaml` and the CLI).

Resource configuration comes from the project folder (see `vid2learn_dagster.project`)
and environment variables, so the UI, the daemon and `vid2learn run` share one set of
paths.
"""

import os

import dagster as dg

from vid2learn_dagster.cli import quiet_dagster_warnings

# Before `assets` is imported: its decorators emit Dagster's Beta/Preview notices, which
# `dagster dev` would print on every code-server start (issue 9).
quiet_dagster_warnings()

from assets import STAGE_ASSETS, STAGE_CHECKS, playlist_entries
from resources.catalog import DuckDBCatalog
from resources.diarization import DiarizationResource
from resources.media_store import MediaStore
from resources.models import model_resources
from resources.parquet_io import ParquetIOManagerResource
from resources.playlists import PlaylistSource
from resources.registry import VideoRegistryResource
from resources.whisper import WhisperResource
from vid2learn_dagster.executors import executor_from_env
from vid2learn_dagster.jobs import process_video_job, refresh_playlists_job
from vid2learn_dagster.project import project_paths
from vid2learn_dagster.schedules import playlist_schedule
from vid2learn_dagster.sensors import catalog_refresh_sensor, playlist_sensor, url_list_sensor


def build_definitions() -> dg.Definitions:
    paths = project_paths()
    return dg.Definitions(
        assets=[*STAGE_ASSETS, playlist_entries],
        asset_checks=STAGE_CHECKS,
        jobs=[process_video_job, refresh_playlists_job],
        schedules=[playlist_schedule],
        sensors=[url_list_sensor, playlist_sensor, catalog_refresh_sensor],
        executor=executor_from_env(),  # VID2LEARN_EXECUTOR: multiprocess, celery, k8s
        resources={
            "io_manager": ParquetIOManagerResource(base_path=paths.warehouse),
            "media": MediaStore(base_path=paths.warehouse),
            "registry": VideoRegistryResource(
                warehouse=paths.warehouse, url_list=str(paths.url_list)
            ),
            "catalog": DuckDBCatalog(database=str(paths.catalog), warehouse=paths.warehouse),
            "playlists": PlaylistSource.from_project(paths),
            "whisper": WhisperResource(),
            # dg.EnvVar fails the run when the variable is unset, and the token is optional
            # (without it diarization runs offline), so it is passed only when set.
            "diarization": DiarizationResource(
                **({"hf_token": dg.EnvVar("HF_TOKEN")} if os.environ.get("HF_TOKEN") else {})
            ),
            **model_resources(),  # vision, llm, embedder
        },
    )


defs = build_definitions()
