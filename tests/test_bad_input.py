"""Bad input fails (or yields empty, valid tables) for its own partition only.

Each case runs the real job for one partition on one shared instance: a failure names
its cause, leaves no Parquet file or temp file behind, and does not disturb the video
that was processed before it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from tests.http_server import closed_port_url, make_test_video, serve_directory
from tests.pipeline import Project, failure_messages, project_at

pytestmark = pytest.mark.slow


def silent_solid_video(path: Path, seconds: float = 3.0) -> Path:
    """One grey shot with a silent audio track: no speech and no cuts."""
    subprocess.run(
        [
            shutil.which("ffmpeg") or "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"color=c=gray:s=320x240:r=15:d={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"anullsrc=r=16000:cl=mono:d={seconds}",
            "-shortest",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A loopback site with one good video, an HTML page, a fake video and a silent one."""
    www = tmp_path_factory.mktemp("www")
    make_test_video(www / "good.mp4", seconds=2.0, cuts=[1.0])
    silent_solid_video(www / "silent.mp4")
    (www / "fake.mp4").write_text("this is not a video\n")
    with serve_directory(www) as server:
        server.add_route("page.html", body="<html><body><p>No media here.</p></body></html>")
        yield server


@pytest.fixture(scope="module")
def project(tmp_path_factory, site) -> Project:
    with project_at(tmp_path_factory.mktemp("project")) as project:
        key, result = project.run(site.url("good.mp4"))
        assert result.success
        project.good_key = key  # type: ignore[attr-defined]
        yield project


def assert_failed_cleanly(project: Project, url: str, *expected: str) -> None:
    key, result = project.run(url)
    assert not result.success
    message = failure_messages(result).lower()
    assert "source_video" in message
    for text in expected:
        assert text in message, message
    assert not project.has_table("source_video", key)
    assert project.temp_files() == []
    assert project.has_table("notebook", project.good_key), "other videos are untouched"


def test_unreachable_url_fails_its_partition_with_the_cause(project):
    assert_failed_cleanly(project, closed_port_url("gone.mp4"), "127.0.0.1")


def test_404_fails_without_retrying(project, site):
    assert_failed_cleanly(project, site.url("missing.mp4"), "404")


def test_html_page_without_media_is_rejected(project, site):
    assert_failed_cleanly(project, site.url("page.html"), "unsupported url")


def test_file_that_is_not_a_video_fails(project, site):
    assert_failed_cleanly(project, site.url("fake.mp4"), "not a video")


def test_silent_video_with_no_cuts_gives_empty_but_valid_tables(project, site):
    key, result = project.run(site.url("silent.mp4"))
    assert result.success, failure_messages(result)
    assert project.table("transcript_segments", key).empty
    assert project.table("transcript_words", key).empty
    assert project.table("speaker_turns", key).empty, "silence has no speakers"
    keyframes = project.table("keyframes", key)
    assert len(keyframes) == 1, "a video without cuts is one scene"
    chunks = project.table("chunks", key)
    assert len(chunks) == 1 and chunks["text"].iloc[0] == ""
    nb = nbformat.read(project.table("notebook", key)["notebook_path"].iloc[0], as_version=4)
    nbformat.validate(nb)
