"""One video's files in the warehouse, found and removed for `vid2learn delete`.

A video owns `<warehouse>/<table>/<video_id>.parquet` in every per-video table (the stage
tables and `video_urls`) and everything under `<warehouse>/media/<video_id>/`; nothing of
another video shares those paths, so removing them leaves every other video's files as
they were. The `deleted_videos` row is the one file kept: it is what tells the sensors
not to add the video again.
"""

from __future__ import annotations

from upath import UPath

from vid2learn_dagster.storage.tables import PER_VIDEO_TABLES

KEPT_TABLE = "deleted_videos"


def find_video_files(warehouse: str, video_id: str) -> list[UPath]:
    """Every file of `video_id`: its Parquet file in each per-video table (with leftovers
    of interrupted writes, `.<video_id>.parquet.<id>.tmp.parquet`) and its media files."""
    base = UPath(warehouse)
    files: list[UPath] = []
    for table in PER_VIDEO_TABLES:
        folder = base / table
        if table == KEPT_TABLE or not folder.exists():
            continue
        files += [path for path in [folder / f"{video_id}.parquet"] if path.exists()]
        files += sorted(folder.glob(f".{video_id}.parquet.*"))
    media = base / "media" / video_id
    if media.exists():
        files += sorted(path for path in media.rglob("*") if path.is_file())
    return files


def remove_video_files(warehouse: str, video_id: str) -> int:
    """Remove every file `find_video_files` names, tables first (so the DuckDB views stop
    showing the video before its media go), then the media folder; returns the count."""
    files = find_video_files(warehouse, video_id)
    media = UPath(warehouse) / "media" / video_id
    for path in files:
        if media not in path.parents:
            path.unlink()
    if media.exists():
        media.fs.rm(media.path, recursive=True)
    return len(files)
