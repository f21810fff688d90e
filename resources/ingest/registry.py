"""Where videos come from, as a Dagster resource: the URL list and the registry tables."""

from pathlib import Path

import dagster as dg

from vid2learn_dagster.ingest.registry import VideoRegistry


class VideoRegistryResource(dg.ConfigurableResource):
    """`warehouse`: base path of the registry tables; `url_list`: the file the sensor watches."""

    warehouse: str
    url_list: str

    def get(self) -> VideoRegistry:
        return VideoRegistry(self.warehouse)

    def read_url_list(self) -> str | None:
        path = Path(self.url_list)
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
