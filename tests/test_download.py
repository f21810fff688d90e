"""Downloads through yt-dlp from a loopback server: the file, its metadata, and failures.

Every failure must be classified (transient: retry later; permanent: give up) and must
leave nothing behind, neither in the destination nor in the private temporary folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_server import (
    LoopbackServer,
    closed_port_url,
    http_server_fixture,  # noqa: F401  (pytest fixture `http_server`)
    make_test_video,
)
from vid2learn_dagster.ingest.download import (
    DownloadError,
    PermanentDownloadError,
    TransientDownloadError,
    download_video,
)

SECONDS = 2.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_test_video(tmp_path_factory.mktemp("clip") / "lecture.mp4", SECONDS)


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point tempfile at a folder of our own so the test can see what is left in it."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert list(folder.iterdir()) == [], "the download's temporary folder was left behind"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def serve(server: LoopbackServer, clip: Path, name: str) -> str:
    os.link(clip, server.root / name)
    return server.url(name)


def assert_empty(folder: Path) -> None:
    assert not folder.exists() or list(folder.iterdir()) == []


def test_direct_media_url_downloads_with_metadata(
    http_server: LoopbackServer, clip: Path, tmp_path: Path
) -> None:
    url = serve(http_server, clip, "lecture.mp4")
    dest = tmp_path / "media" / "key"
    video = download_video(url, dest, max_height=720)
    assert video.path == dest / "video.mp4"
    assert sorted(p.name for p in dest.iterdir()) == ["video.mp4"]
    assert video.sha256 == sha256(clip) == sha256(video.path)
    assert video.duration == pytest.approx(SECONDS, abs=0.1)
    assert video.height is not None and video.height <= 720
    assert (video.width, video.height, video.fps) == (320, 240, 25.0)
    assert (video.video_id, video.title, video.extractor) == ("lecture", "lecture", "generic")
    assert video.url == video.webpage_url == url


def test_download_again_replaces_the_file(
    http_server: LoopbackServer, clip: Path, tmp_path: Path
) -> None:
    url = serve(http_server, clip, "lecture.mp4")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "video.webm").write_bytes(b"an older download of another type")
    first = download_video(url, dest)
    second = download_video(url, dest)
    assert first.sha256 == second.sha256
    assert sorted(p.name for p in dest.iterdir()) == ["video.mp4"]


def test_local_file_url_is_copied_and_probed(clip: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    video = download_video(clip.as_uri(), dest)
    assert video.path == dest / "video.mp4" and clip.is_file()
    assert (video.title, video.video_id, video.extractor) == ("lecture", "lecture", "file")
    assert video.sha256 == sha256(clip)
    assert video.duration == pytest.approx(SECONDS, abs=0.1)
    gone = (tmp_path / "gone.mp4").as_uri()
    with pytest.raises(PermanentDownloadError, match="no such file"):
        download_video(gone, tmp_path / "dest2")
    assert_empty(tmp_path / "dest2")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, PermanentDownloadError),
        (403, PermanentDownloadError),
        (410, PermanentDownloadError),
        (429, TransientDownloadError),
        (500, TransientDownloadError),
        (503, TransientDownloadError),
    ],
)
def test_http_errors_are_classified(
    http_server: LoopbackServer, tmp_path: Path, status: int, error: type[DownloadError]
) -> None:
    url = http_server.add_route("lecture.mp4", status=status, body="error page")
    dest = tmp_path / "dest"
    with pytest.raises(error, match=f"HTTP {status}") as caught:
        download_video(url, dest)
    assert url in str(caught.value)
    assert_empty(dest)


def test_missing_file_is_a_permanent_404(http_server: LoopbackServer, tmp_path: Path) -> None:
    with pytest.raises(PermanentDownloadError, match="404"):
        download_video(http_server.url("nothing-here.mp4"), tmp_path / "dest")
    assert_empty(tmp_path / "dest")


def test_refused_connection_is_transient(tmp_path: Path) -> None:
    url = closed_port_url("lecture.mp4")
    with pytest.raises(TransientDownloadError, match="refused") as caught:
        download_video(url, tmp_path / "dest", socket_timeout=2)
    assert url in str(caught.value)
    assert_empty(tmp_path / "dest")


def test_html_page_without_media_is_permanent(http_server: LoopbackServer, tmp_path: Path) -> None:
    url = http_server.add_route("about.html", body="<html><body><p>No video</p></body></html>")
    with pytest.raises(PermanentDownloadError, match="unsupported URL") as caught:
        download_video(url, tmp_path / "dest")
    assert url in str(caught.value)
    assert_empty(tmp_path / "dest")


def test_page_with_several_videos_is_refused_as_a_playlist(
    http_server: LoopbackServer, clip: Path, tmp_path: Path
) -> None:
    first, second = serve(http_server, clip, "a.mp4"), serve(http_server, clip, "b.mp4")
    page = f'<html><body><video src="{first}"></video><video src="{second}"></video></body></html>'
    url = http_server.add_route("week1.html", body=page)
    with pytest.raises(PermanentDownloadError, match="playlist of 2 videos"):
        download_video(url, tmp_path / "dest")
    assert_empty(tmp_path / "dest")
    assert "GET /a.mp4" not in http_server.requests


def test_text_served_as_mp4_is_not_a_video(http_server: LoopbackServer, tmp_path: Path) -> None:
    (http_server.root / "fake.mp4").write_text("this is not a video\n" * 100)
    url = http_server.url("fake.mp4")
    with pytest.raises(PermanentDownloadError, match="not a video") as caught:
        download_video(url, tmp_path / "dest")
    assert url in str(caught.value)
    assert_empty(tmp_path / "dest")


def test_an_audio_only_recording_is_accepted_without_a_picture(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    """A lecture recording or podcast (issue 11): downloaded like a video, no picture."""
    audio = http_server.root / "talk.m4a"
    ffmpeg = shutil.which("ffmpeg") or pytest.skip("ffmpeg not installed")
    subprocess.run(
        [ffmpeg, "-v", "error", "-f", "lavfi", "-i", "sine=d=2", "-c:a", "aac", str(audio)],
        check=True,
    )
    video = download_video(http_server.url("talk.m4a"), tmp_path / "dest")
    assert video.path.is_file() and video.duration == pytest.approx(2.0, abs=0.1)
    assert (video.width, video.height, video.fps) == (None, None, None)


def test_loopback_server_answers_byte_ranges(http_server: LoopbackServer, clip: Path) -> None:
    """Range requests (resumed downloads, browsers seeking in a video) get 206 and the bytes."""
    url = serve(http_server, clip, "lecture.mp4")
    request = urllib.request.Request(url, headers={"Range": "bytes=100-199"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 206
        assert response.headers["Content-Range"] == f"bytes 100-199/{clip.stat().st_size}"
        assert response.read() == clip.read_bytes()[100:200]
