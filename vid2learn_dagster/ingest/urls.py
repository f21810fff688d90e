"""The URL list: parse and validate it, and give each video a stable partition key.

Validation only rejects what is certainly wrong offline (syntax, scheme, a missing local
file); whether yt-dlp can download a URL is known only by trying, which the download
stage does. Partition keys are derived from the URL alone, without network, so the
same line always maps to the same partition and a re-run never duplicates a video.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit, urlunsplit
from urllib.request import url2pathname

from yt_dlp.extractor import gen_extractor_classes, get_info_extractor

KEY_MAX = 64
_HASH_LEN = 10
_STEM_MAX = 40
_YOUTUBE_HOSTS = ("youtube.com", "youtu.be", "youtube-nocookie.com")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# 'localhost:8000/a.mp4' and 'www.x.org/a' parse as scheme 'localhost' / no scheme:
# both are URLs whose writer forgot 'https://', not unknown schemes.
_HOST_WITHOUT_SCHEME = re.compile(r"^([A-Za-z0-9.-]+:\d+([/?#]|$)|www\.)")
_TRAILING_COMMENT = re.compile(r"\s+#.*$")
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class InvalidUrlError(ValueError):
    """A line that is not a downloadable http(s) URL or local file; the message says why."""


@dataclass(frozen=True)
class UrlLine:
    line_no: int
    url: str


@dataclass(frozen=True)
class Rejection:
    line_no: int
    text: str
    reason: str


@dataclass
class UrlList:
    accepted: list[UrlLine] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [line.url for line in self.accepted]


def _local_file_url(path_text: str, must_exist: bool) -> str:
    path = Path(os.path.normpath(path_text))
    if not must_exist:
        return path.as_uri()
    if not path.exists():
        raise InvalidUrlError(f"no such file: {path}")
    if not path.is_file():
        raise InvalidUrlError(f"not a file: {path}")
    return path.as_uri()


def _normalize_http(text: str) -> str:
    parts = urlsplit(text)
    if not parts.hostname:
        raise InvalidUrlError("missing host")
    try:
        _ = parts.port
    except ValueError as exc:
        raise InvalidUrlError(f"invalid port: {exc}") from None
    # Scheme and host are case-insensitive: normalize them so the key is stable.
    netloc = parts.netloc if "@" in parts.netloc else parts.netloc.lower()
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=netloc))


def _normalize_file(text: str, must_exist: bool) -> str:
    parts = urlsplit(text)
    if parts.netloc not in ("", "localhost"):
        raise InvalidUrlError(f"file URL on another host ({parts.netloc}) cannot be read")
    path = url2pathname(unquote(parts.path))
    if not os.path.isabs(path):
        raise InvalidUrlError("file URL without an absolute path")
    return _local_file_url(path, must_exist)


def normalize_url(text: str, *, must_exist: bool = True) -> str:
    """The canonical form of one URL-list entry, or InvalidUrlError with a human reason.

    Absolute local paths become file:// URLs so `vid2learn run PATH` and a list line
    naming the same file give the same key. `must_exist=False` skips the check that a
    local file is there (a key is a function of the text alone).
    """
    text = text.strip()
    if not text:
        raise InvalidUrlError("empty")
    if text.startswith("/"):
        return _local_file_url(text, must_exist)
    scheme = _SCHEME.match(text)
    if scheme and not _HOST_WITHOUT_SCHEME.match(text):
        if any(ch.isspace() for ch in text):
            raise InvalidUrlError("contains spaces (percent-encode them as %20)")
        name = scheme.group(1).lower()
        if name in ("http", "https"):
            return _normalize_http(text)
        if name == "file":
            return _normalize_file(text, must_exist)
        raise InvalidUrlError(f"unsupported scheme '{name}:' (use http, https or file)")
    if _HOST_WITHOUT_SCHEME.match(text):
        raise InvalidUrlError("missing scheme (start it with https://)")
    if text.startswith(("~", ".")) or "/" in text or "\\" in text or PurePosixPath(text).suffix:
        raise InvalidUrlError("relative path (give an absolute path or a file:// URL)")
    raise InvalidUrlError("not a URL")


def parse_url_list(text: str) -> UrlList:
    """Split a URL list into accepted URLs (first occurrence only) and rejected lines.

    One entry per line; blank lines, '# ...' lines and trailing ' # ...' comments are
    ignored ('#' inside a URL, a fragment, has no space before it and is kept).
    """
    result = UrlList()
    seen: set[str] = set()
    for line_no, raw in enumerate(text.splitlines(), start=1):
        entry = _TRAILING_COMMENT.sub("", raw).strip()
        if not entry or entry.startswith("#"):
            continue
        try:
            url = normalize_url(entry)
        except InvalidUrlError as exc:
            result.rejected.append(Rejection(line_no, entry, str(exc)))
            continue
        if url not in seen:
            seen.add(url)
            result.accepted.append(UrlLine(line_no, url))
    return result


@functools.cache
def _specific_extractors() -> tuple[type, ...]:
    """Every yt-dlp extractor but Generic, which matches any URL and has no id of its own."""
    return tuple(ie for ie in gen_extractor_classes() if ie.ie_key() != "Generic")


def extractor_id(url: str) -> tuple[str, str] | None:
    """(extractor key, id) when a site-specific yt-dlp extractor claims `url`, from the URL only.

    YouTube is asked first and directly: a watch URL with `&list=` belongs to the
    playlist extractor, but downloads use noplaylist, so the key is the video's id.
    """
    youtube_id = get_info_extractor("Youtube").get_temp_id(url)
    if youtube_id:
        return "Youtube", youtube_id
    for ie in _specific_extractors():
        if ie.suitable(url):
            temp_id = ie.get_temp_id(url)
            return (ie.ie_key(), str(temp_id)) if temp_id else None
    return None


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:_HASH_LEN]


def _safe(text: str) -> str:
    return _KEY_UNSAFE.sub("_", text).strip("_")


def video_key(url: str) -> str:
    """The partition key of a video: `[A-Za-z0-9_-]`, at most KEY_MAX characters.

    A site's own id when an extractor recognises the URL (YouTube: the bare 11-character
    id, so all URL variants agree; other sites are prefixed with the extractor, as
    numeric ids of two sites can clash). Direct media and files have no id: yt-dlp would
    call both `http://a/x.mp4` and `http://b/x.mp4` "x", so the whole URL is hashed.
    """
    url = normalize_url(url, must_exist=False)
    match = extractor_id(url)
    if match is not None:
        ie_key, site_id = match
        key = site_id if ie_key == "Youtube" else f"{ie_key.lower()}-{site_id}"
        if _safe(key) == key and len(key) <= KEY_MAX:
            return key
        return f"{_safe(key)[:_STEM_MAX]}-{_short_hash(key)}"
    stem = _safe(PurePosixPath(unquote(urlsplit(url).path)).stem)[:_STEM_MAX]
    return f"{stem or 'video'}-{_short_hash(url)}"


def is_youtube(url: str) -> bool:
    host = (urlsplit(url.strip()).hostname or "").lower()
    return any(host == name or host.endswith("." + name) for name in _YOUTUBE_HOSTS)
