"""Where things live: table shapes, atomic files, the project's folders, the DuckDB catalog."""
