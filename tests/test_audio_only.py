"""An audio-only recording (a lecture recording or a podcast, issue 11) runs: the speech
stages as usual, no keyframes, the visual tables empty but typed, and a notebook built
from the speech alone."""

from __future__ import annotations

import shutil
import subprocess

import nbformat
import pytest

from tests.http_server import serve_directory
from tests.pipeline import failure_messages, project_at
from vid2learn_dagster.quality.evaluation import word_error_rate
from vid2learn_dagster.sample import ground_truth, sample_video
from vid2learn_dagster.storage.tables import SCHEMAS

pytestmark = pytest.mark.slow
SECONDS = 18.4  # the sample's first two slides


@pytest.fixture(scope="module")
def podcast(tmp_path_factory):
    ffmpeg = shutil.which("ffmpeg") or pytest.skip("ffmpeg (apt install ffmpeg) makes the file")
    www = tmp_path_factory.mktemp("www")
    subprocess.run(
        [
            *(ffmpeg, "-v", "error", "-i", str(sample_video()), "-t", str(SECONDS), "-vn"),
            *("-c:a", "aac", "-b:a", "64k", str(www / "talk.m4a")),
        ],
        check=True,
    )
    with serve_directory(www) as server, project_at(tmp_path_factory.mktemp("p")) as project:
        key, result = project.run(server.url("talk.m4a"))
        assert result.success, failure_messages(result)
        yield project, key


def test_the_speech_is_transcribed_as_from_a_video(podcast):
    project, key = podcast
    said = " ".join(
        u["text"]
        for slide in ground_truth()["slides"]
        for u in slide["utterances"]
        if u["end"] <= SECONDS
    )
    words = project.table("transcript_words", key)
    assert word_error_rate(said, " ".join(words["word"])) <= 0.2
    assert project.table("source_video", key)[["width", "height", "fps"]].isna().all(axis=None)


def test_the_visual_tables_are_empty_but_typed(podcast):
    project, key = podcast
    for name in ("keyframes", "visual_descriptions"):
        table = project.table(name, key)
        assert table.empty and list(table.columns) == SCHEMAS[name].names, name
    assert project.table("chunks", key)["segment_ids"].map(len).sum() > 0


def test_the_notebook_teaches_from_the_speech_alone(podcast):
    project, key = podcast
    (path,) = project.table("notebook", key)["notebook_path"]
    notebook = nbformat.read(path, as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells)
    assert "comprehension" in text.lower()
    assert "![" not in text, "no keyframe images without a picture"
