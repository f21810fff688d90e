"""The project loads the way users load it: `dagster definitions validate -w workspace.yaml`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from tests.conftest import REPO
from vid2learn_dagster.definitions import build_definitions


def test_workspace_validates_with_the_dagster_cli(tmp_path: Path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "VID2LEARN_HOME": str(tmp_path)}
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_stage_is_partitioned_by_video_and_described():
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    # playlist_entries lists what playlists hold, across videos: the one unpartitioned asset.
    for key in graph.get_all_asset_keys() - {dg.AssetKey("playlist_entries")}:
        node = graph.get(key)
        assert node.partitions_def == dg.DynamicPartitionsDefinition(name="videos"), key
        assert node.description, f"{key} has no description"
        assert node.kinds, f"{key} has no kinds"


def test_readme_documents_every_view_and_column():
    from vid2learn_dagster.storage.catalog import VIEW_NAMES
    from vid2learn_dagster.storage.tables import SCHEMAS

    readme = (REPO / "README.md").read_text()
    views_section = readme.split("## DuckDB views", 1)[1].splitlines()
    for asset, view in VIEW_NAMES.items():
        row = next((line for line in views_section if line.startswith(f"| `{view}` |")), "")
        assert row, f"README has no row for view {view}"
        for column in SCHEMAS[asset].names:
            assert f"`{column}`" in row, f"README does not document {view}.{column}"
