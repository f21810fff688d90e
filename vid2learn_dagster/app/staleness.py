"""Which (asset, video) pairs are out of date, by Dagster's own staleness rules.

Dagster records, with every materialization, the asset's code version and the data
versions of its inputs; an asset is stale (the UI's "Stale" badge) when its code version
changed since, or an input was re-materialized with new data. This module asks Dagster's
resolver for that per video partition instead of re-deriving it, so the CLI and the UI
agree, adds what lies downstream of a stale asset, and `rerun_plan` turns the answer
into what to materialize per video.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dagster as dg
from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext
from dagster._core.definitions.data_version import (
    CachingStaleStatusResolver,
    StaleCause,
    StaleStatus,
)
from dagster._time import get_current_datetime

from vid2learn_dagster.app.partitions import videos_partitions

STATUS_NAMES = {StaleStatus.STALE: "stale", StaleStatus.MISSING: "missing"}


@dataclass(frozen=True)
class Outdated:
    """One asset of one video that needs materializing, and why."""

    asset: str
    video: str
    status: str  # "stale" or "missing"
    causes: tuple[str, ...]


def _resolver(instance: dg.DagsterInstance, defs: dg.Definitions) -> CachingStaleStatusResolver:
    """Dagster's resolver, built as its own test helper builds it (a fresh view of now)."""
    asset_graph = defs.resolve_asset_graph()
    view = AssetGraphView(
        temporal_context=TemporalContext(effective_dt=get_current_datetime(), last_event_id=None),
        instance=instance,
        asset_graph=asset_graph,
    )
    return CachingStaleStatusResolver(instance, asset_graph, view)


def _video_asset_keys(defs: dg.Definitions) -> list[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    return sorted(
        (
            key
            for key in graph.materializable_asset_keys
            if graph.get(key).partitions_def is not None
        ),
        key=lambda key: key.to_user_string(),
    )


def _describe(cause: StaleCause) -> str:
    """ "code version changed", or "updated dependency data (audio)"."""
    if cause.dependency is None:
        return cause.reason
    dependency = getattr(cause.dependency, "asset_key", cause.dependency)
    return f"{cause.reason} ({dependency.to_user_string()})"


def find_outdated(
    instance: dg.DagsterInstance,
    defs: dg.Definitions,
    statuses: Iterable[StaleStatus] = (StaleStatus.STALE,),
    videos: Sequence[str] | None = None,
) -> list[Outdated]:
    """Every (asset, video) pair whose status is one of `statuses`, in asset then video order.

    Dagster calls an asset stale when its own code or its inputs' data changed; what is
    downstream of a stale asset stays "fresh" until that asset is re-run with new data.
    Those descendants are listed as stale too (cause: the stale ancestor), since they
    will be out of date the moment it is re-run: the list is exactly what `rerun` runs.
    """
    wanted = set(statuses)
    resolver = _resolver(instance, defs)
    graph = defs.resolve_asset_graph()
    keys = _video_asset_keys(defs)
    partitions = videos or instance.get_dynamic_partitions(videos_partitions.name)
    found: dict[tuple[dg.AssetKey, str], Outdated] = {}
    for key in keys:
        for video in partitions:
            status = resolver.get_status(key, video)
            if status in wanted:
                causes = tuple(_describe(c) for c in resolver.get_stale_root_causes(key, video))
                found[key, video] = Outdated(
                    key.to_user_string(), video, STATUS_NAMES[status], causes
                )
    for (key, video), item in list(found.items()):
        if item.status != STATUS_NAMES[StaleStatus.STALE]:
            continue
        for below in dg.AssetSelection.assets(key).downstream(include_self=False).resolve(graph):
            if (below, video) not in found and resolver.get_status(
                below, video
            ) == StaleStatus.FRESH:
                cause = f"downstream of stale {item.asset}"
                found[below, video] = Outdated(below.to_user_string(), video, item.status, (cause,))
    return [found[pair] for pair in sorted(found, key=lambda p: (p[0].to_user_string(), p[1]))]


def rerun_plan(defs: dg.Definitions, outdated: Iterable[Outdated]) -> dict[str, list[dg.AssetKey]]:
    """Per video, the assets to materialize: the outdated ones (`find_outdated` includes
    the descendants of stale ones) and the other outputs of a multi-asset such as
    `transcript`, which makes all its outputs or none."""
    graph = defs.resolve_asset_graph()
    plan: dict[str, set[dg.AssetKey]] = defaultdict(set)
    for item in outdated:
        plan[item.video] |= set(graph.get(dg.AssetKey.from_user_string(item.asset)).assets_def.keys)
    return {video: sorted(keys, key=lambda k: k.to_user_string()) for video, keys in plan.items()}
