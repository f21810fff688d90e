"""`vid2learn delete`: remove one video and everything made from it, and keep it removed.

What goes: the video's dynamic partition, its file in every per-video table, its media
folder, its `video_urls` row and its rows in the playlists' listings. What stays: the runs
and their events in the instance (history; Dagster's SQL storages cannot wipe one
partition's materializations, and a batch run's events belong to other videos too), and
one `deleted_videos` row, which the URL-list and playlist sensors honour so that the video
does not come back by itself; `vid2learn run URL` processes it again (every stage) and
clears that row.

A video that a run is processing (or is about to) is refused: the run would write its
files again after they were removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from vid2learn_dagster.app.partitions import videos_partitions
from vid2learn_dagster.app.run_recovery import UNFINISHED
from vid2learn_dagster.ingest.registry import VideoRegistry
from vid2learn_dagster.storage.deletion import remove_video_files

# A queued run has not started yet, but it will write the video's files when it does.
ACTIVE = [DagsterRunStatus.QUEUED, *UNFINISHED]


@dataclass(frozen=True)
class Deletion:
    """What `delete_video` removed."""

    url: str | None
    files: int
    playlist_rows: int


def find_active_runs(instance: DagsterInstance, video_id: str) -> list[DagsterRun]:
    """The queued or unfinished runs that process `video_id`: a run of that one partition,
    or a batch run whose range of neighbouring videos includes it."""
    order = instance.get_dynamic_partitions(videos_partitions.name)
    position = {key: i for i, key in enumerate(order)}

    def covers(run: DagsterRun) -> bool:
        tags = run.tags
        if tags.get(PARTITION_NAME_TAG) == video_id:
            return True
        start = position.get(tags.get(ASSET_PARTITION_RANGE_START_TAG, ""))
        end = position.get(tags.get(ASSET_PARTITION_RANGE_END_TAG, ""))
        here = position.get(video_id)
        if start is None or end is None or here is None:
            return False
        return start <= here <= end

    return [run for run in instance.get_runs(filters=RunsFilter(statuses=ACTIVE)) if covers(run)]


def describe_run(run: DagsterRun) -> str:
    return f"run {run.run_id} ({run.job_name}, {run.status.value})"


def delete_video(instance: DagsterInstance, video_id: str, warehouse: str) -> Deletion:
    """Remove `video_id` as the module says; the caller has checked `find_active_runs`.

    The `deleted_videos` row is written first, so that a sensor tick during the deletion
    already skips the video, and a deletion cut short is finished by deleting again.
    """
    registry = VideoRegistry(warehouse)
    url = registry.record_deletion(video_id)
    if instance.has_dynamic_partition(videos_partitions.name, video_id):
        instance.delete_dynamic_partition(videos_partitions.name, video_id)
    files = remove_video_files(warehouse, video_id)
    return Deletion(url, files, registry.drop_from_playlists(video_id))
