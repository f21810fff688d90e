"""Download one video with yt-dlp (or copy a local file) and describe it.

yt-dlp writes `.part` and per-format files while it works, so it downloads into a
private temporary folder; only a verified video is moved into `dest_dir`, atomically.
Failures are sorted into transient (worth retrying later) and permanent (retrying cannot
help), because the caller's retry policy depends on that and nothing else.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import yt_dlp
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import UnsupportedError, YoutubeDLError

from vid2learn_dagster.ingest.media import MediaError, MediaInfo, probe_media
from vid2learn_dagster.storage.files import atomic_path

log = logging.getLogger(__name__)

# Retry a little inside yt-dlp (a dropped connection mid-file), leave the rest to the
# caller's retry policy, which waits between attempts.
_YTDLP_RETRIES = 2
_FINAL_NAME = "video"
_TRANSIENT_MESSAGES = re.compile(
    r"timed? ?out|connection (refused|reset|aborted)|remote end closed|temporary failure in name"
    r"|name or service not known|nodename nor servname|getaddrinfo|network is unreachable"
    r"|no route to host|incomplete ?read|giving up after",
    re.IGNORECASE,
)
_HTTP_STATUS_MESSAGE = re.compile(r"HTTP Error (\d{3})")


class DownloadError(RuntimeError):
    """A video could not be fetched; the message names what happened and the URL."""


class TransientDownloadError(DownloadError):
    """Network trouble or an overloaded server (5xx, 429): the same call may succeed later."""


class PermanentDownloadError(DownloadError):
    """The URL is gone, forbidden, unsupported or not a video: retrying cannot help."""


@dataclass(frozen=True)
class DownloadedVideo:
    """A video file in place plus its metadata (the `source_video` table's columns)."""

    video_id: str
    url: str
    webpage_url: str
    extractor: str
    title: str
    duration: float
    uploader: str | None
    upload_date: str | None
    license: str | None
    width: int | None
    height: int | None
    fps: float | None
    path: Path
    sha256: str


class _YtDlpLogger:
    """Sends yt-dlp's chatter to logging, one level down: its warnings are mostly noise
    ("Falling back on generic information extractor") and its errors come back as exceptions."""

    def debug(self, msg: str) -> None:
        log.debug(msg)

    def info(self, msg: str) -> None:
        log.debug(msg)

    def warning(self, msg: str) -> None:
        log.info(msg)

    def error(self, msg: str) -> None:
        log.info(msg)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _exception_chain(exc: BaseException) -> list[BaseException]:
    """yt-dlp wraps the real cause in DownloadError.exc_info, ExtractorError.cause, __cause__."""
    chain: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or any(current is seen for seen in chain):
            continue
        chain.append(current)
        exc_info = getattr(current, "exc_info", None)
        pending += [
            exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) > 1 else None,
            getattr(current, "cause", None) if isinstance(current, Exception) else None,
            current.__cause__,
            current.__context__,
        ]
    return chain


def classify_error(exc: BaseException, url: str) -> DownloadError:
    """Map whatever yt-dlp raised to a transient or permanent DownloadError."""
    detail = re.sub(r"^ERROR:\s*", "", str(exc)).strip()
    chain = _exception_chain(exc)
    status = next((e.status for e in chain if isinstance(e, HTTPError)), None)
    if status is None and (found := _HTTP_STATUS_MESSAGE.search(detail)):
        status = int(found.group(1))
    if status is not None:
        transient = status in (408, 429) or status >= 500
        kind = TransientDownloadError if transient else PermanentDownloadError
        return kind(f"HTTP {status} fetching {url}: {detail}")
    if any(isinstance(e, UnsupportedError) for e in chain):
        return PermanentDownloadError(f"unsupported URL, no video found at {url}: {detail}")
    network = (TransportError, ConnectionError, TimeoutError)
    if any(isinstance(e, network) for e in chain) or _TRANSIENT_MESSAGES.search(detail):
        return TransientDownloadError(f"network error fetching {url}: {detail}")
    return PermanentDownloadError(f"cannot download {url}: {detail}")


def _verified_media(path: Path, url: str) -> MediaInfo:
    """The file's streams; a lecture recording or podcast without a picture is welcome
    (issue 11: the speech stages run as usual, the visual ones find nothing to read)."""
    try:
        return probe_media(path)
    except MediaError as exc:
        raise PermanentDownloadError(f"not a video or audio recording: {url} ({exc})") from exc


def _place(source: Path, dest_dir: Path, ext: str, *, move: bool) -> Path:
    """Put `source` at dest_dir/video.<ext> atomically and drop a stale video.* of another type."""
    final = dest_dir / f"{_FINAL_NAME}.{ext}"
    with atomic_path(final) as tmp:
        (shutil.move if move else shutil.copyfile)(source, tmp)
    for stale in dest_dir.glob(f"{_FINAL_NAME}.*"):
        if stale != final:
            stale.unlink()
    return final


def _described(
    meta: dict[str, Any], media: MediaInfo, url: str, path: Path, extractor: str
) -> DownloadedVideo:
    """Technical fields come from the file itself: yt-dlp knows none for direct media."""
    return DownloadedVideo(
        video_id=str(meta.get("id") or path.stem),
        url=url,
        webpage_url=meta.get("webpage_url") or url,
        extractor=extractor,
        title=meta.get("title") or path.stem,
        duration=media.duration,
        uploader=meta.get("uploader"),
        upload_date=meta.get("upload_date"),
        license=meta.get("license"),
        width=media.width,
        height=media.height,
        fps=media.fps,
        path=path,
        sha256=sha256_file(path),
    )


def _copy_local(url: str, dest_dir: Path) -> DownloadedVideo:
    source = Path(url2pathname(unquote(urlsplit(url).path)))
    if not source.is_file():
        raise PermanentDownloadError(f"no such file: {source} ({url})")
    media = _verified_media(source, url)
    ext = source.suffix.lstrip(".").lower() or "bin"
    path = _place(source, dest_dir, ext, move=False)
    meta = {"id": source.stem, "title": source.stem}
    return _described(meta, media, url, path, extractor="file")


def _ytdlp_options(
    workdir: Path,
    max_height: int,
    cookies_file: Path | str | None,
    sleep_interval: float,
    timeout: int,
) -> dict[str, Any]:
    return {
        # An audio-only source (a podcast, a lecture recording) falls through to bestaudio.
        "format": (
            f"bestvideo[height<={max_height}]+bestaudio/best[height<={max_height}]/best/bestaudio"
        ),
        "merge_output_format": "mp4",
        "outtmpl": str(workdir / f"{_FINAL_NAME}.%(ext)s"),
        "noplaylist": True,
        # A playlist URL must not download every entry: leave entries unresolved and refuse.
        "extract_flat": "in_playlist",
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "logger": _YtDlpLogger(),
        "socket_timeout": timeout,
        "retries": _YTDLP_RETRIES,
        "fragment_retries": _YTDLP_RETRIES,
        "sleep_interval": sleep_interval,
        "cookiefile": str(cookies_file) if cookies_file else None,
    }


def download_video(
    url: str,
    dest_dir: Path,
    *,
    max_height: int = 720,
    cookies_file: Path | str | None = None,
    sleep_interval: float = 0.0,
    socket_timeout: int = 20,
) -> DownloadedVideo:
    """Fetch `url` to `dest_dir/video.<ext>` (at most `max_height` lines where the site offers
    a choice) and return its metadata; raise Transient- or PermanentDownloadError."""
    if urlsplit(url).scheme.lower() == "file":
        return _copy_local(url, dest_dir)
    with tempfile.TemporaryDirectory(prefix="vid2learn-download-") as tmp:
        workdir = Path(tmp)
        options = _ytdlp_options(workdir, max_height, cookies_file, sleep_interval, socket_timeout)
        try:
            with yt_dlp.YoutubeDL(options) as ydl:
                meta = ydl.extract_info(url, download=False)
                playlist = meta.get("_type") in ("playlist", "multi_video")
                if not playlist:
                    meta = ydl.process_ie_result(meta, download=True)
        except (YoutubeDLError, OSError) as exc:
            raise classify_error(exc, url) from exc
        if playlist:
            count = len(list(meta.get("entries") or []))
            raise PermanentDownloadError(
                f"a playlist of {count} videos, not one video: {url} "
                "(list each video's URL on its own line)"
            )
        downloads = meta.get("requested_downloads") or []
        files = [Path(d["filepath"]) for d in downloads if d.get("filepath")]
        if not files or not files[0].is_file():
            raise PermanentDownloadError(f"yt-dlp reported success but wrote no file: {url}")
        media = _verified_media(files[0], url)
        path = _place(files[0], dest_dir, files[0].suffix.lstrip("."), move=True)
    return _described(meta, media, url, path, extractor=str(meta.get("extractor") or "generic"))
