"""The pipeline up to `chunks`, for tests of lineage, checks and failures.

The LLM stages after `chunks` have their own tests; here they would only add minutes.
"""

from __future__ import annotations

import dagster as dg
import pytest

from assets import STAGE_ASSETS, STAGE_CHECKS
from vid2learn_dagster import definitions

CORE_NODES = {"source_video", "audio", "speaker_turns", "transcript", "keyframes", "chunks"}

build_full_definitions = definitions.build_definitions


def core_definitions(
    code_versions: dict[str, str] | None = None, **resources: dg.ConfigurableResource
) -> dg.Definitions:
    """The project's Definitions cut at `chunks`; `code_versions` overrides some assets',
    `resources` some resources."""
    overrides = code_versions or {}
    assets = [
        a.map_asset_specs(
            lambda spec: spec.replace_attributes(
                code_version=overrides.get(spec.key.to_user_string(), spec.code_version)
            )
        )
        for a in STAGE_ASSETS
        if a.node_def.name in CORE_NODES
    ]
    keys = {key for a in assets for key in a.keys}
    checks = [c for c in STAGE_CHECKS if {k.asset_key for k in c.check_keys} <= keys]
    job = dg.define_asset_job("process_video", selection=dg.AssetSelection.assets(*assets))
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[job],
        resources={**build_full_definitions().resources, **resources},
    )


def use_definitions(monkeypatch: pytest.MonkeyPatch, **code_versions: str) -> None:
    """Make the CLI (which builds its Definitions per command) use the core pipeline."""
    monkeypatch.setattr(definitions, "build_definitions", lambda: core_definitions(code_versions))
