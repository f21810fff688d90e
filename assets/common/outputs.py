"""The outputs of a step that writes several tables (a multi-asset)."""

import dagster as dg


def table_out(
    group: str, code_version: str, description: str, kinds: frozenset[str] = frozenset()
) -> dg.AssetOut:
    """A Parquet table made in a step beside others, sharing the step's code version: the
    tables of one step go stale together, since one code wrote them all."""
    return dg.AssetOut(
        kinds={"parquet", *kinds},
        group_name=group,
        code_version=code_version,
        description=description,
    )
