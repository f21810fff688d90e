"""The whole asset graph, end to end, for the sample lecture downloaded by yt-dlp.

The lecture is served by a loopback HTTP server, registered like a user's URL and run
through the real `process_video` job on a real Dagster instance; each test below checks
one promise of the product against the lecture's ground truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import nbformat
import pytest

from tests.http_server import serve_directory
from tests.pipeline import Project, project_at
from vid2learn_dagster.evaluation import word_error_rate
from vid2learn_dagster.sample import SAMPLE_DIR, ground_truth, sample_script

pytestmark = pytest.mark.slow

STAGES = [
    "source_video",
    "audio",
    "transcript_segments",
    "transcript_words",
    "keyframes",
    "chunks",
    "notebook",
]


@pytest.fixture(scope="module")
def lecture_run(tmp_path_factory) -> tuple[Project, str, str]:
    """Run the pipeline once for the module: (project, partition key, source URL)."""
    root = tmp_path_factory.mktemp("project")
    with serve_directory(SAMPLE_DIR) as server, project_at(root) as project:
        url = server.url("lecture.mp4")
        key, result = project.run(url)
        assert result.success, "the sample lecture must run through every stage"
        yield project, key, url


def test_every_stage_is_materialized_for_the_partition(lecture_run):
    project, key, _ = lecture_run
    for asset in STAGES:
        assert project.has_table(asset, key), asset
        event = project.instance.get_latest_materialization_event(dg.AssetKey(asset))
        assert event is not None and event.dagster_event.partition == key
    assert project.temp_files() == []


def test_source_video_records_download_metadata(lecture_run):
    project, key, url = lecture_run
    video = project.table("source_video", key).iloc[0]
    assert video["video_id"] == key, "every table joins on the partition key"
    assert video["url"] == url
    assert video["height"] <= 720
    assert video["duration"] == pytest.approx(ground_truth()["duration"], abs=0.2)
    assert Path(video["video_path"]).is_file()


def test_transcript_word_error_rate_is_at_most_20_percent(lecture_run):
    project, key, _ = lecture_run
    segments = project.table("transcript_segments", key)
    hypothesis = " ".join(segments.sort_values("start")["text"])
    assert word_error_rate(sample_script(), hypothesis) <= 0.20


def test_words_lie_inside_their_segments(lecture_run):
    project, key, _ = lecture_run
    segments = project.table("transcript_segments", key).set_index("segment_id")
    words = project.table("transcript_words", key)
    assert len(words) > 50
    bounds = segments.loc[words["segment_id"]]
    assert (words["start"].to_numpy() >= bounds["start"].to_numpy() - 0.01).all()
    assert (words["end"].to_numpy() <= bounds["end"].to_numpy() + 0.01).all()


def test_every_slide_change_has_a_scene_boundary_within_one_second(lecture_run):
    project, key, _ = lecture_run
    keyframes = project.table("keyframes", key)
    boundaries = keyframes["start"].iloc[1:].to_numpy()
    for cut in ground_truth()["cuts"]:
        assert min(abs(boundaries - cut)) <= 1.0, f"no scene boundary near {cut:.2f}s"
    assert all(Path(p).is_file() for p in keyframes["image_path"])


def test_chunks_cover_every_segment_once(lecture_run):
    project, key, _ = lecture_run
    segments = project.table("transcript_segments", key)
    chunks = project.table("chunks", key)
    covered = [s for ids in chunks["segment_ids"] for s in ids]
    assert sorted(covered) == sorted(segments["segment_id"])


def test_notebook_validates_with_one_section_per_chunk(lecture_run):
    project, key, _ = lecture_run
    row = project.table("notebook", key).iloc[0]
    nb = nbformat.read(row["notebook_path"], as_version=4)
    nbformat.validate(nb)
    chunks = project.table("chunks", key)
    assert row["sections"] == len(chunks)
    headings = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert len(headings) == len(chunks)
    assert any(c.get("attachments") for c in nb.cells), "keyframes are embedded"


def test_query_reads_the_views_after_a_run(lecture_run, capsys):
    from vid2learn_dagster.cli import main

    project, key, _ = lecture_run
    sql = "SELECT video_id, count(*) AS n FROM transcript_segments GROUP BY video_id"
    assert main(["query", sql, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"video_id": key, "n": len(project.table("transcript_segments", key))}]


def test_registering_the_same_url_again_adds_no_partition(lecture_run):
    from vid2learn_dagster.cli import add_videos

    project, key, url = lecture_run
    before = project.instance.get_dynamic_partitions("videos")
    assert add_videos(project.instance, [url], source="test") == [key]
    assert project.instance.get_dynamic_partitions("videos") == before
