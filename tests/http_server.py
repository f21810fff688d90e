"""Test helpers: a loopback HTTP server and tiny generated videos.

Downloads are tested against 127.0.0.1 only (no internet here or in CI): yt-dlp's
generic extractor fetches a direct media URL from this server like any website.
Use `serve_directory` as a context manager, or the `http_server` fixture by importing
`http_server_fixture` into a test module (pytest registers it under its name).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

_RANGE_PREFIX = "bytes="


@dataclass(frozen=True)
class Route:
    status: int
    body: bytes
    content_type: str


class LoopbackServer:
    """Serves `root` on 127.0.0.1; `add_route` overrides a path with a fixed response."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def add_route(
        self,
        path: str,
        *,
        status: int = 200,
        body: bytes | str = b"",
        content_type: str = "text/html; charset=utf-8",
    ) -> str:
        """Answer GET/HEAD of `path` with this status and body; returns the route's URL."""
        data = body.encode() if isinstance(body, str) else body
        self.routes["/" + path.lstrip("/")] = Route(status, data, content_type)
        return self.url(path)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[SimpleHTTPRequestHandler]:
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, directory=str(server.root), **kwargs)

            def log_message(self, format: str, *args: object) -> None:
                server.requests.append(f"{self.command} {self.path}")

            def send_head(self):  # type: ignore[no-untyped-def]
                route = server.routes.get(self.path.split("?", 1)[0])
                if route is not None:
                    return self._send_bytes(route.status, route.body, route.content_type)
                return self._send_file_range() or super().send_head()

            def _send_bytes(self, status: int, body: bytes, content_type: str):  # type: ignore[no-untyped-def]
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                return io.BytesIO(body)

            def _send_file_range(self):  # type: ignore[no-untyped-def]
                """Answer `Range: bytes=a-b` with 206, as yt-dlp asks for it to resume."""
                header = self.headers.get("Range", "")
                path = Path(self.translate_path(self.path))
                if not header.startswith(_RANGE_PREFIX) or not path.is_file():
                    return None
                size = path.stat().st_size
                first, _, last = header[len(_RANGE_PREFIX) :].split(",")[0].partition("-")
                start = int(first) if first else max(size - int(last), 0)
                end = int(last) if first and last else size - 1
                if start >= size:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.end_headers()
                    return io.BytesIO(b"")
                end = min(end, size - 1)
                with path.open("rb") as handle:
                    handle.seek(start)
                    body = handle.read(end - start + 1)
                self.send_response(HTTPStatus.PARTIAL_CONTENT)
                self.send_header("Content-Type", self.guess_type(str(path)))
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                return io.BytesIO(body)

        return Handler


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[LoopbackServer]:
    """Serve `root` on a free loopback port for the duration of the block."""
    server = LoopbackServer(root).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="http_server")
def http_server_fixture(tmp_path: Path) -> Iterator[LoopbackServer]:
    """A loopback server over a fresh `www/` folder: put files in `http_server.root`."""
    root = tmp_path / "www"
    root.mkdir()
    with serve_directory(root) as server:
        yield server


def closed_port_url(path: str = "video.mp4") -> str:
    """A loopback URL nothing listens on: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/{path}"


COLORS = ("red", "green", "blue", "yellow", "magenta", "cyan", "white", "orange")


def make_test_video(
    path: Path,
    seconds: float = 2.0,
    with_audio: bool = True,
    cuts: Sequence[float] = (),
    size: tuple[int, int] = (320, 240),
    fps: int = 25,
) -> Path:
    """Write a tiny H.264/AAC mp4 made by ffmpeg's lavfi sources.

    Without `cuts` the picture is ffmpeg's moving `testsrc` pattern. With `cuts` (times in
    seconds) each shot is a different solid colour, so a scene detector must find
    exactly those cut times. Audio, if any, is a 440 Hz tone.
    """
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg not installed (apt-get install ffmpeg)")
    width, height = size
    bounds = [0.0, *sorted(cuts), seconds]
    if cuts:
        shots = [
            f"color=c={COLORS[i % len(COLORS)]}:s={width}x{height}:r={fps}:d={end - start:.3f}"
            for i, (start, end) in enumerate(itertools.pairwise(bounds))
        ]
        labels = "".join(f"[{i}:v]" for i in range(len(shots)))
        video_filter = ["-filter_complex", f"{labels}concat=n={len(shots)}:v=1:a=0[v]"]
        video_map = ["-map", "[v]"]
    else:
        shots = [f"testsrc=s={width}x{height}:r={fps}:d={seconds:.3f}"]
        video_filter, video_map = [], ["-map", "0:v"]
    inputs = [arg for shot in shots for arg in ("-f", "lavfi", "-i", shot)]
    audio: list[str] = []
    if with_audio:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=16000:d={seconds:.3f}"]
        audio = ["-map", f"{len(shots)}:a", "-c:a", "aac", "-b:a", "32k"]
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            ffmpeg,
            "-nostdin",
            "-v",
            "error",
            "-y",
            *inputs,
            *video_filter,
            *video_map,
            *audio,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-threads",
            "1",
            "-t",
            f"{seconds:.3f}",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    return path
