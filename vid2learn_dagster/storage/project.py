"""Where a vid2learn project keeps its things on disk.

One project folder holds the Dagster instance (`.dagster_home/`), the data folder
(`data/`: the URL list, Parquet warehouse, media files and the DuckDB catalog).
The folder is `$VID2LEARN_HOME`, else the working directory, so `vid2learn` and
`dagster dev` agree as long as both start from the project root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vid2learn_dagster.common.settings import settings

DAGSTER_YAML = "dagster.yaml"


@dataclass(frozen=True)
class ProjectPaths:
    """The folders and files of one project, derived from its root."""

    root: Path

    @property
    def data(self) -> Path:
        return settings().data or self.root / "data"

    @property
    def warehouse(self) -> str:
        """Base path of the Parquet tables and media: any fsspec URL works (s3://...)."""
        return settings().warehouse or str(self.data / "warehouse")

    @property
    def url_list(self) -> Path:
        return settings().url_list or self.data / "urls.txt"

    @property
    def playlist_list(self) -> Path:
        """Playlist and channel URLs the schedule expands (same format as the URL list)."""
        return settings().playlists or self.data / "playlists.txt"

    @property
    def catalog(self) -> Path:
        return settings().catalog or self.data / "catalog.duckdb"

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME", self.root / ".dagster_home"))


def project_paths() -> ProjectPaths:
    return ProjectPaths((settings().home or Path.cwd()).resolve())


def ensure_dagster_home(paths: ProjectPaths | None = None) -> Path:
    """Create the project-local DAGSTER_HOME and point it at the project's dagster.yaml.

    Dagster reads `$DAGSTER_HOME/dagster.yaml`; a relative SQLite `base_dir` would
    resolve against the working directory, so instead the instance lives in its own
    folder that links back to the one `dagster.yaml` at the project root.
    """
    paths = paths or project_paths()
    home = paths.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    link = home / DAGSTER_YAML
    source = paths.root / DAGSTER_YAML
    if source.is_file() and not link.exists():
        try:
            link.symlink_to(source)
        except OSError:
            link.write_text(source.read_text())
    os.environ["DAGSTER_HOME"] = str(home)
    return home
