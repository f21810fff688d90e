"""Playlists and channels: expand each into its videos with yt-dlp's flat extraction.

Flat extraction lists a playlist's entries without resolving each video (one request
per page of the listing instead of one per video), which is what a daily re-check needs:
the videos themselves are fetched later, one partition each, by `source_video`.
Entries are keyed with `urls.video_key`, so a video listed in two playlists or also in
the URL list is the same partition and is never processed twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import yt_dlp
from yt_dlp.utils import YoutubeDLError, unsmuggle_url

from vid2learn_dagster.ingest.download import DownloadError, classify_error
from vid2learn_dagster.ingest.urls import InvalidUrlError, video_key
from vid2learn_dagster.storage.tables import conform

log = logging.getLogger(__name__)

_COLUMNS = ["playlist_url", "video_url", "video_id", "title", "position", "checked_at"]


@dataclass(frozen=True)
class SiteSettings:
    """How politely to ask the site: pauses between requests and playlists, cookies."""

    sleep_interval: float = 0.0
    cookies_file: str | None = None
    socket_timeout: int = 20


@dataclass(frozen=True)
class ExpansionFailure:
    playlist_url: str
    reason: str


@dataclass
class Expansion:
    """Each expanded playlist's entries (`playlist_entries` tables) and the ones that failed."""

    listings: dict[str, pd.DataFrame]
    failures: list[ExpansionFailure]

    @property
    def entries(self) -> pd.DataFrame:
        tables = list(self.listings.values())
        merged = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=_COLUMNS)
        return conform(merged, "playlist_entries")


def _options(site: SiteSettings) -> dict[str, Any]:
    return {
        "extract_flat": True,
        "quiet": True,
        "no_warnings": True,
        "logger": log,
        "socket_timeout": site.socket_timeout,
        "sleep_interval_requests": site.sleep_interval,
        "cookiefile": site.cookies_file or None,
    }


def _entry_url(entry: dict[str, Any]) -> str | None:
    """The downloadable URL of a flat entry; feeds smuggle their item id into it."""
    url = entry.get("url") or entry.get("webpage_url")
    if not url:
        return None
    url, _ = unsmuggle_url(str(url), {})
    return url if "://" in url else None


def _rows(playlist_url: str, info: dict[str, Any], checked_at: str) -> Iterator[dict[str, Any]]:
    """One row per entry with a usable URL; a single video is a playlist of one."""
    is_list = info.get("_type") in ("playlist", "multi_video")
    entries = (info.get("entries") or []) if is_list else [info]
    for position, entry in enumerate(entries, start=1):
        url = _entry_url(entry or {})
        if url is None:
            log.info("%s: entry %d has no URL, skipped", playlist_url, position)
            continue
        try:
            key = video_key(url)
        except InvalidUrlError as err:
            log.info("%s: entry %d (%s) skipped: %s", playlist_url, position, url, err)
            continue
        yield {
            "playlist_url": playlist_url,
            "video_url": url,
            "video_id": key,
            "title": entry.get("title"),
            "position": position,
            "checked_at": checked_at,
        }


def expand_playlist(playlist_url: str, site: SiteSettings | None = None) -> pd.DataFrame:
    """The `playlist_entries` rows of one playlist; raise DownloadError when it cannot be read."""
    checked_at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        with yt_dlp.YoutubeDL(_options(site or SiteSettings())) as ydl:
            info = ydl.extract_info(playlist_url, download=False) or {}
    except (YoutubeDLError, OSError) as exc:
        raise classify_error(exc, playlist_url) from exc
    rows = list(_rows(playlist_url, info, checked_at))
    return conform(pd.DataFrame(rows, columns=_COLUMNS), "playlist_entries")


def expand_playlists(
    playlist_urls: Iterable[str],
    site: SiteSettings | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Expansion:
    """Expand each playlist in turn, pausing `sleep_interval` between them; one failing
    playlist is recorded and the rest go on."""
    site = site or SiteSettings()
    result = Expansion({}, [])
    for index, url in enumerate(playlist_urls):
        if index and site.sleep_interval:
            sleep(site.sleep_interval)
        try:
            result.listings[url] = expand_playlist(url, site)
        except DownloadError as err:
            log.warning("playlist %s not expanded: %s", url, err)
            result.failures.append(ExpansionFailure(url, str(err)))
    return result
