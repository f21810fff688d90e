"""Where media files (video, audio, keyframe images, notebooks) live, beside the tables.

Tools such as yt-dlp, ffmpeg and OpenCV need local files. For a local base path they
write straight into `<base_path>/media/<video_id>/` (atomically, see
`vid2learn_dagster.storage.files`); for an object-store base path (`s3://...`) they write into a
local cache folder and `publish` uploads the file, so tables always reference the
stored location and any worker can `fetch` it back.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dagster as dg
from upath import UPath


class MediaStore(dg.ConfigurableResource):
    base_path: str
    cache_dir: str = ""

    @property
    def _base(self) -> UPath:
        return UPath(self.base_path) / "media"

    @property
    def is_local(self) -> bool:
        return self._base.protocol in ("", "file", "local")

    def workdir(self, video_id: str) -> Path:
        """A local folder where stages write this video's files."""
        if self.is_local:
            folder = Path(self._base.path) / video_id
        else:
            cache = Path(self.cache_dir or Path(tempfile.gettempdir()) / "vid2learn-media")
            folder = cache / video_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def publish(self, local: Path, video_id: str) -> str:
        """Store a finished local file and return the path tables should reference."""
        if self.is_local:
            return str(local)
        relative = local.relative_to(self.workdir(video_id))
        target = self._base / video_id / relative.as_posix()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.fs.put_file(str(local), target.path)
        return str(target)

    def publish_path(self, local: str, video_id: str) -> str:
        """`publish` for a path held as a string in a table column."""
        return self.publish(Path(local), video_id)

    def fetch(self, stored: str, video_id: str) -> Path:
        """A local path for a stored file (downloaded into the cache when remote)."""
        target = UPath(stored)
        if target.protocol in ("", "file", "local"):
            return Path(target.path)
        local = self.workdir(video_id) / target.name
        if not local.exists():
            tmp = local.with_suffix(local.suffix + ".part")
            target.fs.get_file(target.path, str(tmp))
            os.replace(tmp, local)
        return local
