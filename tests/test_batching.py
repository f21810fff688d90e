"""Several videos in one model step (issue 3: "the vLLM backend can take several videos at
once"): the per-video stages run one video at a time, then every model stage runs once over
the batch of neighbouring videos, with one batched model call for all of their prompts.

The end-to-end case runs `vid2learn run`'s code on two real clips of the sample lecture and
a URL that 404s, and reads what ran from the instance's runs and step events.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from assets import BATCHED_STAGE_ASSETS, BATCHED_STAGE_KEYS, STAGE_ASSETS
from assets.common.batches import BATCH_POLICY, batch_metadata
from tests.http_server import serve_directory
from tests.pipeline import Project, project_at
from vid2learn_dagster.app import cli
from vid2learn_dagster.common.batching import VIDEOS_PER_RUN, call_batched, contiguous_batches
from vid2learn_dagster.definitions import defs
from vid2learn_dagster.quality.checks import CheckOutcome
from vid2learn_dagster.sample import sample_video

# Two slides each, cut from the sample lecture at its slide changes (lecture.json).
CLIPS = {"first.mp4": (0.0, 18.4), "second.mp4": (30.6, 48.87)}
BATCHED_STEPS = {  # the model stages (term corrections ask Whisper again)
    "visual_descriptions",
    "code_snippets",
    "term_corrections",
    "rewritten_chunks",
    "blended_chunks",
    "topic_segments",
    "notebook",
    "exports",
    "notebook_notebook_valid",
    "notebook_sections_notebook_faithful",
}


# --- the pure helpers ----------------------------------------------------------------------


def test_call_batched_makes_one_call_and_splits_results_back_by_group() -> None:
    calls = []

    def shout(items: list[str]) -> list[str]:
        calls.append(list(items))
        return [item.upper() for item in items]

    result = call_batched({"a": ["x", "y"], "b": [], "c": ["z"]}, shout)
    assert result == {"a": ["X", "Y"], "b": [], "c": ["Z"]}
    assert calls == [["x", "y", "z"]]


def test_call_batched_skips_the_call_when_no_group_has_items() -> None:
    def fail(items: list[str]) -> list[str]:
        raise AssertionError("called")

    assert call_batched({"a": [], "b": []}, fail) == {"a": [], "b": []}


def test_call_batched_refuses_a_result_count_that_does_not_match() -> None:
    with pytest.raises(ValueError, match="2 results for 3 items"):
        call_batched({"a": ["x", "y"], "b": ["z"]}, lambda items: items[:2])


def test_contiguous_batches_follow_partition_order_and_break_at_gaps() -> None:
    order = ["v1", "v2", "v3", "v4", "v5"]
    assert contiguous_batches(order, ["v4", "v1", "v2", "v5"]) == [["v1", "v2"], ["v4", "v5"]]
    assert contiguous_batches(order, order, size=2) == [["v1", "v2"], ["v3", "v4"], ["v5"]]
    assert contiguous_batches(order, []) == []
    with pytest.raises(ValueError, match="not partitions: v9"):
        contiguous_batches(order, ["v1", "v9"])


def test_batch_metadata_keeps_one_video_as_is_and_tabulates_a_batch() -> None:
    one = {"chunks": 3, "preview": dg.MetadataValue.md("| a |")}
    assert batch_metadata({"v1": one}, {"model": "m"}) == {**one, "model": "m"}

    merged = batch_metadata(
        {"v1": {"chunks": 3, "kind": "x", "note": "p"}, "v2": {"chunks": 5, "kind": "x"}},
        {"prompts": 8},
    )
    assert merged["batch_videos"] == 2
    assert merged["prompts"] == 8
    assert merged["kind"] == "x"
    table = merged["by_video"].value
    assert "| v1      |        3 |" in table and "| v2      |        5 |" in table
    assert merged["note"].value == "**v1**\n\np"


def test_check_outcome_per_video_names_the_videos_that_failed() -> None:
    good = CheckOutcome(True, "valid")
    bad = CheckOutcome(False, "not a valid notebook: x.ipynb", ["truncated"])
    assert CheckOutcome.per_video({"v1": bad}) == bad
    assert CheckOutcome.per_video({"v1": good, "v2": good}).passed
    outcome = CheckOutcome.per_video({"v1": good, "v2": bad})
    assert not outcome.passed
    assert outcome.description == "1 of 2 videos failed"
    assert outcome.problems == ["v2: not a valid notebook: x.ipynb; truncated"]


# --- the definitions -------------------------------------------------------------------------


def test_model_stages_take_batches_and_come_after_every_per_video_stage() -> None:
    """The CLI runs per-video stages first, then the model stages over batches; that order
    holds only if no per-video stage reads a model stage's table."""
    graph = defs.resolve_asset_graph()
    for asset in STAGE_ASSETS:
        policy = BATCH_POLICY if asset in BATCHED_STAGE_ASSETS else None
        assert asset.backfill_policy == policy, asset.key
        if asset not in BATCHED_STAGE_ASSETS:
            for key in asset.keys:
                assert not graph.get(key).parent_keys & BATCHED_STAGE_KEYS, key
    assert BATCH_POLICY.max_partitions_per_run == VIDEOS_PER_RUN


def test_a_backfill_of_every_stage_batches_only_the_model_stages() -> None:
    """What Dagster's asset backfill (the UI's "Materialize" over many partitions) plans
    for three videos: each per-video stage once per video, the model stages in one run over
    the three (with the notebook's check)."""
    from dagster._core.definitions.automation_tick_evaluation_context import (
        build_run_requests_with_backfill_policies,
    )
    from dagster._core.definitions.events import AssetKeyPartitionKey

    videos = ["v1", "v2", "v3"]
    graph = defs.resolve_asset_graph()
    stages = [key for asset in STAGE_ASSETS for key in asset.keys]
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("videos", videos)
        with dg.partition_loading_context(dynamic_partitions_store=instance):
            requests = build_run_requests_with_backfill_policies(
                [AssetKeyPartitionKey(key, video) for key in stages for video in videos],
                graph,
                instance,
            )
    ranged = [r for r in requests if ASSET_PARTITION_RANGE_START_TAG in r.tags]
    assert len(ranged) == 1
    assert (
        ranged[0].tags[ASSET_PARTITION_RANGE_START_TAG],
        ranged[0].tags[ASSET_PARTITION_RANGE_END_TAG],
    ) == ("v1", "v3")
    assert set(ranged[0].asset_selection) == BATCHED_STAGE_KEYS
    assert {c.name for c in ranged[0].asset_check_keys} == {"notebook_valid", "notebook_faithful"}
    single = [r for r in requests if r not in ranged]
    assert sorted(r.partition_key for r in single) == videos
    for request in single:
        assert not set(request.asset_selection) & BATCHED_STAGE_KEYS


# --- several videos end to end -----------------------------------------------------------


def _cut(source: Path, start: float, end: float, target: Path) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg not installed (apt-get install ffmpeg)")
    subprocess.run(
        [
            *(ffmpeg, "-v", "error", "-y", "-ss", str(start), "-to", str(end), "-i", str(source)),
            *("-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", str(target)),
        ],
        check=True,
    )


@pytest.fixture(scope="module")
def three_videos(tmp_path_factory) -> Iterator[tuple[Project, list[str], dict[str, bool]]]:
    """Two clips and a 404, run together the way `vid2learn run a b c` runs them."""
    root = tmp_path_factory.mktemp("batched")
    clips = root / "clips"
    clips.mkdir()
    for name, (start, end) in CLIPS.items():
        _cut(sample_video(), start, end, clips / name)
    with serve_directory(clips) as server, project_at(root / "project") as project:
        urls = [server.url(name) for name in [*CLIPS, "missing.mp4"]]
        keys = cli.add_videos(project.instance, urls, source="test")
        outcome = cli.run_videos(project.instance, keys)
        yield project, keys, outcome


def _steps(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    return {
        entry.step_key
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
    }


def test_a_bad_video_fails_alone_and_the_good_ones_finish(three_videos) -> None:
    project, (first, second, missing), outcome = three_videos
    assert outcome == {first: True, second: True, missing: False}
    assert not project.has_table("source_video", missing)
    assert project.temp_files() == []


def _batch_run(project: Project) -> dg.DagsterRun:
    (run,) = [r for r in project.instance.get_runs() if ASSET_PARTITION_RANGE_START_TAG in r.tags]
    return run


def test_model_stages_run_once_over_both_videos(three_videos) -> None:
    project, (first, second, missing), _ = three_videos
    batch = _batch_run(project)
    assert batch.tags[ASSET_PARTITION_RANGE_START_TAG] == first
    assert batch.tags[ASSET_PARTITION_RANGE_END_TAG] == second
    assert _steps(project.instance, batch.run_id) == BATCHED_STEPS

    runs = project.instance.get_runs()
    single = {r.tags[PARTITION_NAME_TAG]: r for r in runs if PARTITION_NAME_TAG in r.tags}
    assert set(single) == {first, second, missing}
    for run in single.values():
        assert not _steps(project.instance, run.run_id) & BATCHED_STEPS


def test_the_batch_materializes_every_model_stage_for_each_video(three_videos) -> None:
    project, (first, second, _), _ = three_videos
    for asset in ("visual_descriptions", "rewritten_chunks", "blended_chunks", "topic_segments"):
        for video in (first, second):
            table = project.table(asset, video)
            assert len(table) > 0, (asset, video)
            assert set(table["video_id"]) == {video}, (asset, video)
        assert project.instance.get_materialized_partitions(dg.AssetKey(asset)) == {
            first,
            second,
        }
    for video in (first, second):
        chunks = project.table("chunks", video)
        assert list(project.table("rewritten_chunks", video)["chunk_id"]) == list(
            chunks["chunk_id"]
        )


def test_one_llm_call_carried_both_videos_prompts(three_videos) -> None:
    project, (first, second, _), _ = three_videos
    speech = sum(
        int((project.table("chunks", video)["text"].fillna("").str.strip() != "").sum())
        for video in (first, second)
    )
    event = project.instance.get_latest_materialization_event(
        dg.AssetKey("rewritten_chunks")
    ).asset_materialization
    metadata = {name: value.value for name, value in event.metadata.items()}
    assert metadata["batch_videos"] == 2
    assert metadata["llm_prompts"] == speech
    by_video = metadata["by_video"]
    assert first in by_video and second in by_video


def test_each_video_gets_its_own_notebook(three_videos) -> None:
    import nbformat

    project, (first, second, _), _ = three_videos
    notebooks = {video: project.table("notebook", video).iloc[0] for video in (first, second)}
    assert notebooks[first]["notebook_path"] != notebooks[second]["notebook_path"]
    texts = {}
    for video, row in notebooks.items():
        nb = nbformat.read(row["notebook_path"], as_version=4)
        nbformat.validate(nb)
        assert row["sections"] >= 1
        texts[video] = "\n".join(cell.source for cell in nb.cells)
    # The second clip is the "Filtering with if" slide: its code is in its notebook only.
    assert "if" in texts[second] and "Filtering" in texts[second]
    assert "Filtering" not in texts[first]


def test_the_notebook_check_judged_the_whole_batch(three_videos) -> None:
    project, _, _ = three_videos
    evaluations = project.instance.all_logs(
        _batch_run(project).run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    )
    outcomes = [e.dagster_event.event_specific_data for e in evaluations]
    valid, faithful = outcomes
    assert (valid.check_name, valid.passed, valid.description) == (
        "notebook_valid",
        True,
        "all 2 videos passed",
    )
    # One evaluation over the batch too; it warns about the clips' own problems by video.
    assert faithful.check_name == "notebook_faithful"
    assert faithful.description in {"all 2 videos passed", "1 of 2 videos failed"}
    assert "supported_share" in faithful.metadata


def test_a_failed_batch_runs_again_one_video_at_a_time(three_videos, capsys) -> None:
    """A keyframe that is no longer an image fails the vision step for the whole batch; run
    alone, only its video fails, the other gets every model stage, and the failed video's
    earlier tables are kept. (Last in the module: it breaks the second clip's keyframe.)"""
    project, (first, second, _), _ = three_videos
    kept = project.table("visual_descriptions", second)
    Path(project.table("keyframes", second)["image_path"].iloc[0]).write_bytes(b"not an image")
    before = {run.run_id for run in project.instance.get_runs()}
    capsys.readouterr()

    videos = [first, second]
    outcome = cli.run_videos(
        project.instance, videos, selections=dict.fromkeys(videos, BATCHED_STAGE_KEYS)
    )

    assert outcome == {first: True, second: False}
    err = capsys.readouterr().err
    assert f"the batch {first}..{second} failed; running its videos one at a time" in err
    assert f"vid2learn: {second}: visual_descriptions: " in err  # then the cause, one line
    runs = [run for run in project.instance.get_runs() if run.run_id not in before]
    assert len(runs) == 3
    assert {(run.tags.get(PARTITION_NAME_TAG), run.is_success) for run in runs} == {
        (None, False),  # the batch
        (first, True),
        (second, False),
    }
    pd.testing.assert_frame_equal(project.table("visual_descriptions", second), kept)
    assert project.temp_files() == []
