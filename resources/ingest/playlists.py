"""The playlist list and how politely to expand it, as a Dagster resource."""

from pathlib import Path

import dagster as dg

from vid2learn_dagster.common.settings import settings
from vid2learn_dagster.ingest.playlists import SiteSettings
from vid2learn_dagster.storage.project import ProjectPaths


class PlaylistSource(dg.ConfigurableResource):
    """`playlist_list`: a file of playlist/channel URLs, one a line (`#` comments allowed).

    `sleep_interval`: seconds between requests to the site and between playlists;
    `cookies_file`: a Netscape cookies file for sites that need a login or consent.
    """

    playlist_list: str
    sleep_interval: float = 2.0
    cookies_file: str = ""
    socket_timeout: int = 20

    @classmethod
    def from_project(cls, paths: ProjectPaths) -> "PlaylistSource":
        """Settings from the environment (README, Configuration), else the defaults."""
        return cls(
            playlist_list=str(paths.playlist_list),
            sleep_interval=settings().playlist_sleep_s,
            cookies_file=settings().cookies_file,
        )

    def read(self) -> str | None:
        path = Path(self.playlist_list)
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None

    def site(self) -> SiteSettings:
        return SiteSettings(
            sleep_interval=self.sleep_interval,
            cookies_file=self.cookies_file or None,
            socket_timeout=self.socket_timeout,
        )
