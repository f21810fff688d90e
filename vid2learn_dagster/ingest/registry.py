"""Which URL each video partition came from, which URL-list lines were rejected, what
each playlist listed, and which videos were deleted.

A dynamic partition is only a key; the URL behind it must outlive the run that added
it (a re-run from the UI has no sensor tags). These records are tables in the same
warehouse as the stage outputs (`video_urls/<video_id>.parquet`,
`rejected_urls/<line_id>.parquet`, `playlist_entries/<playlist hash>.parquet`,
`deleted_videos/<video_id>.parquet`), so DuckDB views show them to analysts too.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pandas as pd
import pyarrow.parquet as pq
from upath import UPath

from vid2learn_dagster.storage.files import write_parquet
from vid2learn_dagster.storage.tables import conform, empty_table, to_arrow


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class VideoRegistry:
    """Read and write the `video_urls`, `rejected_urls`, `playlist_entries` and
    `deleted_videos` tables under a warehouse path."""

    def __init__(self, warehouse: str) -> None:
        self.base = UPath(warehouse)

    def write_table(self, table: str, name: str, df: pd.DataFrame) -> None:
        """Write `<table>/<name>.parquet` atomically (typed by `tables.SCHEMAS`)."""
        write_parquet(to_arrow(df, table), self.base / table / f"{name}.parquet")

    def read_table(self, table: str) -> pd.DataFrame:
        """Every `<table>/*.parquet` file as one table (empty and typed when there is none)."""
        folder = self.base / table
        frames = []
        for path in sorted(folder.glob("*.parquet")) if folder.exists() else []:
            if path.name.startswith("."):
                continue  # a write in progress (files.temporary_sibling)
            with path.open("rb") as f:
                frames.append(pq.read_table(f).to_pandas())
        if not frames:
            return empty_table(table)
        return conform(pd.concat(frames, ignore_index=True), table)

    def register(self, video_id: str, url: str, source: str) -> None:
        """Record the URL of a video partition (idempotent: the first URL wins)."""
        if self.url_for(video_id) is not None:
            return
        row = {"video_id": video_id, "url": url, "source": source, "added_at": _now()}
        self.write_table("video_urls", video_id, pd.DataFrame([row]))

    def url_for(self, video_id: str) -> str | None:
        path = self.base / "video_urls" / f"{video_id}.parquet"
        if not path.exists():
            return None
        with path.open("rb") as f:
            return str(pq.read_table(f).column("url")[0])

    def record_playlist(self, playlist_url: str, entries: pd.DataFrame) -> None:
        """Replace what `playlist_url` listed (a playlist that failed keeps its last listing)."""
        name = hashlib.sha1(playlist_url.encode()).hexdigest()[:16]
        self.write_table("playlist_entries", name, entries)

    def drop_from_playlists(self, video_id: str) -> int:
        """Remove `video_id`'s rows from every playlist listing; returns how many went.

        Only listings that hold the video are rewritten. The next check of a playlist that
        still lists it records it again (that is what the playlist holds); its
        `deleted_videos` row keeps the playlist sensor from adding it back.
        """
        folder = self.base / "playlist_entries"
        removed = 0
        for path in sorted(folder.glob("*.parquet")) if folder.exists() else []:
            if path.name.startswith("."):
                continue  # a write in progress (files.temporary_sibling)
            with path.open("rb") as f:
                entries = pq.read_table(f).to_pandas()
            kept = entries[entries["video_id"] != video_id]
            if len(kept) < len(entries):
                self.write_table("playlist_entries", path.stem, kept)
                removed += len(entries) - len(kept)
        return removed

    def record_deletion(self, video_id: str) -> str | None:
        """Remember that `video_id` was deleted, with the URL it came from, so that the
        sensors do not add it again; returns that URL.

        Written before anything is removed, so a deletion cut short is already honoured
        and is finished by deleting again, which keeps this row (its URL may be gone from
        `video_urls` by then).
        """
        path = self.base / "deleted_videos" / f"{video_id}.parquet"
        if path.exists():
            with path.open("rb") as f:
                return pq.read_table(f).column("url")[0].as_py()
        url = self.url_for(video_id)
        row = {"video_id": video_id, "url": url, "deleted_at": _now()}
        self.write_table("deleted_videos", video_id, pd.DataFrame([row]))
        return url

    def deleted_ids(self) -> set[str]:
        """The videos deleted and not processed again since."""
        return set(self.read_table("deleted_videos")["video_id"])

    def clear_deletion(self, video_id: str) -> bool:
        """Forget that `video_id` was deleted (the user asked for it again); returns whether
        it had been."""
        path = self.base / "deleted_videos" / f"{video_id}.parquet"
        if not path.exists():
            return False
        path.unlink()
        return True

    def reject(self, source: str, line_no: int, text: str, reason: str) -> None:
        """Record a rejected URL-list line with its reason (one file per distinct line)."""
        line_id = hashlib.sha1(f"{source}\n{text}".encode()).hexdigest()[:16]
        row = {
            "line_id": line_id,
            "source": source,
            "line_no": line_no,
            "text": text,
            "reason": reason,
            "seen_at": _now(),
        }
        self.write_table("rejected_urls", line_id, pd.DataFrame([row]))
