"""The one IO manager: every asset's table is one Parquet file per video.

Layout: `<base_path>/<asset_name>/<video_id>.parquet`. The base path is a UPath, so
a local folder or any fsspec URL (`s3://bucket/vid2learn`, `gs://...`) works unchanged
(the pattern of dagster's examples/project_fully_featured). Local files are written to
a temporary sibling and renamed, so a failed run never leaves a partial file; object
stores publish an object only when its upload completes, which gives the same promise.

The model stages take a batch of videos in one step (`assets/common/batches.py`): an input
annotated `dict[str, pd.DataFrame]` is loaded as `{video_id: table}` even for a single
video, and a returned dict is written as one file per video, which `UPathIOManager`
alone refuses ("does not support persisting an output associated with multiple partitions").
"""

from __future__ import annotations

import typing
from collections.abc import Mapping

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
from upath import UPath

from vid2learn_dagster.storage.files import write_parquet
from vid2learn_dagster.storage.tables import to_arrow


def _wants_dict(context: dg.InputContext) -> bool:
    """Whether the consuming step declared the input as tables by video."""
    typing_type = context.dagster_type.typing_type
    return typing_type is dict or typing.get_origin(typing_type) in (dict, Mapping)


class ParquetIOManager(dg.UPathIOManager):
    extension = ".parquet"

    def dump_to_path(self, context: dg.OutputContext, obj: pd.DataFrame, path: UPath) -> None:
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(
                f"{context.asset_key.to_user_string()} returned {type(obj).__name__}, "
                "expected a pandas DataFrame"
            )
        write_parquet(to_arrow(obj, context.asset_key.path[-1]), path)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> pd.DataFrame:
        with path.open("rb") as f:
            return pq.read_table(f).to_pandas()

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | dict[str, pd.DataFrame]:
        value = super().load_input(context)
        if _wants_dict(context) and isinstance(value, pd.DataFrame):
            (video,) = context.asset_partition_keys
            return {video: value}
        return value

    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        if not isinstance(obj, Mapping):
            super().handle_output(context, obj)
            return
        paths = self._get_paths_for_partitions(context)
        if set(obj) != set(paths):
            raise ValueError(
                f"{context.asset_key.to_user_string()} returned tables for "
                f"{sorted(obj)}, but the step is for {sorted(paths)}"
            )
        if len(paths) == 1:
            super().handle_output(context, next(iter(obj.values())))
            return
        # Dagster copies a step's metadata onto every partition it materializes, so a
        # batch records no row count or path (they differ per video).
        for video, path in paths.items():
            self.make_directory(path.parent)
            self.dump_to_path(context=context, obj=obj[video], path=path)

    def get_metadata(self, context: dg.OutputContext, obj: pd.DataFrame) -> dict:
        return {"dagster/row_count": dg.MetadataValue.int(len(obj))}


class ParquetIOManagerResource(dg.ConfigurableIOManagerFactory):
    """Configure the base path (local folder or fsspec URL) of the Parquet tables."""

    base_path: str
    storage_options: dict[str, str] | None = None  # fsspec options, e.g. an S3 endpoint

    def create_io_manager(self, context: dg.InitResourceContext) -> ParquetIOManager:
        base = UPath(self.base_path, **(self.storage_options or {}))
        if base.protocol in ("", "file", "local"):
            base.mkdir(parents=True, exist_ok=True)
        return ParquetIOManager(base_path=base)
