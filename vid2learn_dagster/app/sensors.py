"""Sensors: the URL list and the playlists' entries become video partitions; finished runs
refresh the DuckDB views."""

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import dagster as dg

from resources.ingest.registry import VideoRegistryResource
from resources.storage.catalog import DuckDBCatalog
from vid2learn_dagster.app.jobs import process_video_job
from vid2learn_dagster.app.partitions import videos_partitions
from vid2learn_dagster.ingest.registry import VideoRegistry
from vid2learn_dagster.ingest.urls import parse_url_list, video_key


def _cursor(digest: str) -> str:
    return json.dumps({"url_list_sha1": digest})


def _last_digest(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        return json.loads(cursor).get("url_list_sha1")
    except (ValueError, AttributeError):
        return None  # an unreadable cursor means: look at the file again


@dg.sensor(
    job=process_video_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the URL list: each new video becomes a partition and gets one run.",
)
def url_list_sensor(
    context: dg.SensorEvaluationContext, registry: VideoRegistryResource
) -> dg.SensorResult | dg.SkipReason:
    """Add a partition and request a run for each new URL; report and record bad lines.

    The cursor holds the digest of the file last read, so an unchanged list costs nothing
    and the state survives daemon restarts (Dagster stores sensor cursors). Whether a
    video is known comes from the instance's partitions, not the cursor, so a video
    added by `vid2learn run` is not run again either.
    """
    text = registry.read_url_list()
    if text is None:
        return dg.SkipReason(f"no URL list at {registry.url_list}")
    digest = hashlib.sha1(text.encode()).hexdigest()
    if digest == _last_digest(context.cursor):
        return dg.SkipReason("URL list unchanged")

    parsed = parse_url_list(text)
    store = registry.get()
    for bad in parsed.rejected:
        context.log.warning(f"{registry.url_list}:{bad.line_no}: {bad.reason}: {bad.text!r}")
        store.reject(registry.url_list, bad.line_no, bad.text, bad.reason)

    videos = ((video_key(line.url), line.url, registry.url_list) for line in parsed.accepted)
    return dg.SensorResult(
        **_add_new_videos(context, store, videos, origin="url-list"), cursor=_cursor(digest)
    )


def _add_new_videos(
    context: dg.SensorEvaluationContext,
    store: VideoRegistry,
    videos: Iterable[tuple[str, str, str]],
    origin: str,
) -> dict[str, Any]:
    """Register each (key, url, source) that is not yet a partition; returns the
    SensorResult fields that add those partitions and request one run each.

    Whether a video is known comes from the instance's partitions, so a video added by
    another sensor or by `vid2learn run` is not run again. A video removed with
    `vid2learn delete` is no partition, but its `deleted_videos` row keeps it out: the URL
    list and the playlists still name it, and only `vid2learn run URL` brings it back.
    """
    known = set(context.instance.get_dynamic_partitions(videos_partitions.name))
    deleted = store.deleted_ids()
    new_keys: list[str] = []
    for key, url, source in videos:
        if key in known:
            continue
        if key in deleted:
            known.add(key)  # logged once per tick
            context.log.info(f"skipping {key} from {url}: deleted (vid2learn run URL adds it)")
            continue
        known.add(key)
        store.register(key, url, source=source)
        new_keys.append(key)
        context.log.info(f"new video {key} from {url}")
    return {
        "run_requests": [dg.RunRequest(partition_key=k, run_key=f"{origin}:{k}") for k in new_keys],
        "dynamic_partitions_requests": [videos_partitions.build_add_request(new_keys)]
        if new_keys
        else [],
    }


@dg.asset_sensor(
    asset_key=dg.AssetKey("playlist_entries"),
    job=process_video_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After each playlist check: each new video becomes a partition and gets one run.",
)
def playlist_sensor(
    context: dg.SensorEvaluationContext,
    asset_event: dg.EventLogEntry,
    registry: VideoRegistryResource,
) -> dg.SensorResult:
    """Dagster keeps the cursor (the last materialization seen); the listings are read from
    the warehouse, where a playlist that failed this time keeps its previous entries."""
    store = registry.get()
    entries = store.read_table("playlist_entries").sort_values(["playlist_url", "position"])
    videos = zip(entries["video_id"], entries["video_url"], entries["playlist_url"], strict=True)
    return dg.SensorResult(**_add_new_videos(context, store, videos, origin="playlist"))


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Refreshes the DuckDB views after each successful run.",
)
def catalog_refresh_sensor(context: dg.RunStatusSensorContext, catalog: DuckDBCatalog) -> None:
    """Views read Parquet by glob; a refresh is needed when a table gets its first file."""
    try:
        views = catalog.refresh()
    except Exception as err:  # an analyst may hold the database open: try next time
        context.log.warning(f"DuckDB catalog not refreshed: {err}")
        return
    context.log.info(f"refreshed {len(views)} DuckDB views")
