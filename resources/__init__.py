"""Model backends and stores as Dagster resources, one sub-package per area."""
