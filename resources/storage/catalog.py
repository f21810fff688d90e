"""The DuckDB catalog as a Dagster resource: where the catalog file and warehouse are.

The logic lives in `vid2learn_dagster.storage.catalog`; this only carries configuration.
"""

from __future__ import annotations

import dagster as dg
import pandas as pd

from vid2learn_dagster.storage import catalog


class DuckDBCatalog(dg.ConfigurableResource):
    """`database`: the local .duckdb file; `warehouse`: the Parquet base path (or URL)."""

    database: str
    warehouse: str

    def refresh(self) -> list[str]:
        """Rebuild the views over the warehouse; returns the view names."""
        return catalog.refresh_catalog(self.database, self.warehouse)

    def query(self, sql: str) -> pd.DataFrame:
        return catalog.query(self.database, sql)
