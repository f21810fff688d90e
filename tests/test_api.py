"""The read-only HTTP API (issue 13 item 4) against a real server on loopback over the
materialized sample lecture: every endpoint, a 404, a 422, traversal refused, CORS only
for the configured origin, and the files it serves parse."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import nbformat
import pytest
import srt
import webvtt

from vid2learn_dagster.quality.evaluation import character_error_rate
from vid2learn_dagster.sample import ground_truth

pytestmark = pytest.mark.slow
ORIGIN = "http://learn.example"


@pytest.fixture(scope="module")
def api(sample_lecture_run):
    """(base URL, video key) of `vid2learn serve`'s app on a free loopback port."""
    import uvicorn

    from vid2learn_dagster.app.api import build_app
    from vid2learn_dagster.app.cli import _refresh_catalog
    from vid2learn_dagster.storage.project import project_paths

    _, key, _ = sample_lecture_run
    _refresh_catalog()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    paths = project_paths()
    app = build_app(paths.catalog, paths.warehouse, [ORIGIN])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", key
    server.should_exit = True
    thread.join(timeout=10)


def get(url: str, origin: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Origin": origin} if origin else {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_videos_and_one_videos_metadata(api):
    base, key = api
    status, _, body = get(f"{base}/videos")
    assert status == 200 and [v["video_id"] for v in json.loads(body)] == [key]
    video = json.loads(get(f"{base}/videos/{key}")[2])
    assert video["duration"] == pytest.approx(ground_truth()["duration"], abs=0.2)
    assert video["exports"] == ["code", "srt", "timeline_json", "timeline_md", "vtt"]


def test_code_at_a_moment_and_segments_by_kind(api):
    base, key = api
    for slide in ground_truth()["slides"]:
        middle = (slide["start"] + slide["end"]) / 2
        answer = json.loads(get(f"{base}/videos/{key}/code?t={middle:.1f}")[2])
        if slide["code"]:
            assert character_error_rate(slide["code"].strip("\n"), answer["code"]) <= 0.03
        else:
            assert (answer["kind"], answer["title"]) == ("LEARNING", slide["title"])
    coded = json.loads(get(f"{base}/videos/{key}/segments?kind=CODE")[2])
    assert coded and {s["kind"] for s in coded} == {"CODE"}


def test_the_files_it_serves_parse(api):
    base, key = api
    status, headers, body = get(f"{base}/videos/{key}/timeline")
    assert status == 200 and body.decode().startswith("# Timeline")
    assert headers["content-type"].startswith("text/markdown")
    nbformat.validate(nbformat.reads(get(f"{base}/videos/{key}/notebook")[2].decode(), 4))
    cues = list(srt.parse(get(f"{base}/videos/{key}/transcript.srt")[2].decode()))
    assert len(cues) == len(
        webvtt.from_string(get(f"{base}/videos/{key}/transcript.vtt")[2].decode())
    )
    assert json.loads(get(f"{base}/videos/{key}/exports/timeline_json")[2])["video_id"] == key


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/videos/no-such-video", 404),
        ("/videos/{key}/code?t=1:99", 422),
        ("/videos/{key}/code?t=soon", 422),
        ("/videos/{key}/segments?kind=SLIDE", 422),
        ("/videos/{key}/exports/passwd", 404),
        ("/videos/..%2F..%2Fetc/notebook", 404),
        ("/videos/{key}/../../etc/passwd", 404),
        ("/videos/%2E%2E/notebook", 404),
    ],
)
def test_errors_are_json_with_their_status(api, path, status):
    base, key = api
    code, headers, body = get(base + path.format(key=key))
    assert code == status and headers["content-type"] == "application/json"
    assert json.loads(body)["status"] == status and "root:" not in body.decode()


def test_cors_answers_only_the_configured_origin(api, tmp_path):
    from vid2learn_dagster.app.api import build_app

    off = build_app(tmp_path / "catalog.duckdb", str(tmp_path))
    assert off.user_middleware == [], "off by default"
    base, _ = api
    assert get(f"{base}/videos", ORIGIN)[1].get("access-control-allow-origin") == ORIGIN
    assert "access-control-allow-origin" not in get(f"{base}/videos", "http://evil.example")[1]
