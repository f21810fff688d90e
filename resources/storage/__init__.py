"""Storage resources: the Parquet IO manager, the media store, the DuckDB catalog."""
