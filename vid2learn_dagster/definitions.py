"""The one Definitions object (loaded by `dagster dev -w workspace.yaml` and the CLI).

Resource configuration comes from the project folder (see `vid2learn_dagster.storage.project`)
and environment variables, so the UI, the daemon and `vid2learn run` share one set of
paths.
"""

import os

import dagster as dg

from vid2learn_dagster.app.cli import quiet_dagster_warnings

# Before `assets` is imported: its decorators emit Dagster's Beta/Preview notices, which
# `dagster dev` would print on every code-server start (issue 9).
quiet_dagster_warnings()

from assets import STAGE_ASSETS, STAGE_CHECKS, playlist_entries
from resources.common.model_resources import model_resources
from resources.ingest.playlists import PlaylistSource
from resources.ingest.registry import VideoRegistryResource
from resources.speech.diarization import DiarizationResource
from resources.speech.whisper import WhisperResource
from resources.storage.catalog import DuckDBCatalog
from resources.storage.media_store import MediaStore
from resources.storage.parquet_io import ParquetIOManagerResource
from vid2learn_dagster.app.executors import executor_from_env
from vid2learn_dagster.app.jobs import process_video_job, refresh_playlists_job
from vid2learn_dagster.app.schedules import playlist_schedule
from vid2learn_dagster.app.sensors import catalog_refresh_sensor, playlist_sensor, url_list_sensor
from vid2learn_dagster.storage.project import project_paths


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
