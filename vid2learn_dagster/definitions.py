"""The one Definitions object (loaded by `dagster dev -w workspace.yaml` and the CLI).

Resource configuration comes from the project folder (see `vid2learn_dagster.project`)
and environment variables, so the UI, the daemon and `vid2learn run` share one set of
paths.
"""

import dagster as dg

from assets import STAGE_ASSETS
from resources.catalog import DuckDBCatalog
from resources.media_store import MediaStore
from resources.parquet_io import ParquetIOManagerResource
from resources.registry import VideoRegistryResource
from resources.whisper import WhisperResource
from vid2learn_dagster.jobs import process_video_job
from vid2learn_dagster.project import project_paths
from vid2learn_dagster.sensors import catalog_refresh_sensor, url_list_sensor


def build_definitions() -> dg.Definitions:
    paths = project_paths()
    return dg.Definitions(
        assets=STAGE_ASSETS,
        jobs=[process_video_job],
        sensors=[url_list_sensor, catalog_refresh_sensor],
        resources={
            "io_manager": ParquetIOManagerResource(base_path=paths.warehouse),
            "media": MediaStore(base_path=paths.warehouse),
            "registry": VideoRegistryResource(
                warehouse=paths.warehouse, url_list=str(paths.url_list)
            ),
            "catalog": DuckDBCatalog(database=str(paths.catalog), warehouse=paths.warehouse),
            "whisper": WhisperResource(),
        },
    )


defs = build_definitions()
