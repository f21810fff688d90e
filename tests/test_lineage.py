"""Lineage and failures: `vid2learn stale` names exactly what a change made out of date,
`vid2learn rerun` re-executes only that, a failed run resumes from the failed stage, and
model loading is retried with backoff.

The pipeline here is every stage up to `chunks` (tests/lineage_fixtures.py); what ran is
read from the runs' STEP_START events.
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from assets.common.stage import MODEL_RETRY
from assets.common.versions import model_code_versions
from resources.common.model_resources import model_resources
from resources.speech.whisper import WhisperResource
from tests.http_server import make_test_video
from tests.lineage_fixtures import core_definitions, use_definitions
from tests.pipeline import Project, failure_messages, project_at
from vid2learn_dagster.app import cli
from vid2learn_dagster.common import lineage
from vid2learn_dagster.language import grounding
from vid2learn_dagster.notebook import sections
from vid2learn_dagster.topics import segmenting
from vid2learn_dagster.vision import code_detection, indentation

UPSTREAM_OF_KEYFRAMES = {
    "source_video",
    "audio",
    "speaker_turns",
    "transcript_segments",
    "transcript_words",
}


def started_steps(instance: dg.DagsterInstance, since: set[str]) -> set[str]:
    """The step keys started by every run not in `since` (run ids seen before)."""
    steps = set()
    for record in instance.get_run_records():
        if record.dagster_run.run_id in since:
            continue
        for entry in instance.all_logs(
            record.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_START
        ):
            steps.add(entry.step_key)
    return steps


def run_ids(instance: dg.DagsterInstance) -> set[str]:
    return {r.run_id for r in instance.get_runs()}


def stale_pairs(capsys: pytest.CaptureFixture[str], *args: str) -> set[tuple[str, str]]:
    capsys.readouterr()
    assert cli.main(["stale", *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    return {tuple(line.split("\t")[:2]) for line in lines}


@pytest.fixture(scope="module")
def lectures(tmp_path_factory) -> Iterator[tuple[Project, list[str]]]:
    """Two short videos with cuts, every core stage materialized for both."""
    root = tmp_path_factory.mktemp("lineage")
    videos = [
        make_test_video(root / "media" / f"{name}.mp4", seconds=2.0, cuts=[1.0])
        for name in ("first", "second")
    ]
    with pytest.MonkeyPatch.context() as monkeypatch, project_at(root / "project") as project:
        use_definitions(monkeypatch)
        keys = cli.add_videos(project.instance, [str(v) for v in videos], source="test")
        assert cli.main(["run", *map(str, videos)]) == 0
        yield project, keys


@pytest.mark.slow
def test_a_changed_stage_makes_it_and_its_descendants_stale_and_only_they_rerun(
    lectures, capsys, monkeypatch
):
    project, keys = lectures
    use_definitions(monkeypatch)
    assert stale_pairs(capsys) == set()

    # A new scene-detection rule (its code version changes): keyframes and what is made
    # from them are out of date, for every video; download, audio and transcript are not.
    use_definitions(monkeypatch, keyframes="new-scene-rule")
    expected = {(asset, key) for asset in ("keyframes", "chunks") for key in keys}
    assert stale_pairs(capsys) == expected
    assert stale_pairs(capsys, keys[0]) == {p for p in expected if p[1] == keys[0]}

    before = run_ids(project.instance)
    assert cli.main(["rerun", "--stale"]) == 0
    steps = started_steps(project.instance, before)
    assert steps == {
        "keyframes",
        "keyframes_keyframes_present",
        "chunks",
        "chunks_chunks_cover_transcript",
    }
    assert not steps & UPSTREAM_OF_KEYFRAMES
    assert stale_pairs(capsys) == set()


@pytest.mark.slow
def test_a_failed_run_leaves_nothing_partial_and_resumes_from_the_failed_stage(
    tmp_path, capsys, monkeypatch
):
    video = make_test_video(tmp_path / "lecture.mp4", seconds=2.0, cuts=[1.0])
    with project_at(tmp_path / "project") as project:
        use_definitions(monkeypatch)
        (key,) = cli.add_videos(project.instance, [str(video)], source="test")
        # A full disk, a permission error...: here a file where the keyframe folder goes.
        blocker = project.warehouse / "media" / key / "keyframes"
        blocker.parent.mkdir(parents=True)
        blocker.write_text("in the way")

        assert cli.run_videos(project.instance, [key]) == {key: False}
        assert project.has_table("transcript_segments", key)
        assert not project.has_table("keyframes", key)
        assert not project.has_table("chunks", key)
        assert project.temp_files() == []
        assert stale_pairs(capsys, "--missing") == {("keyframes", key), ("chunks", key)}

        blocker.unlink()  # the fix
        before = run_ids(project.instance)
        assert cli.main(["rerun", "--missing", key]) == 0
        assert started_steps(project.instance, before) == {
            "keyframes",
            "keyframes_keyframes_present",
            "chunks",
            "chunks_chunks_cover_transcript",
        }
        assert project.has_table("chunks", key)
        assert stale_pairs(capsys, "--missing", "--stale") == set()


@pytest.mark.slow
def test_model_loading_is_retried_with_backoff_then_fails_with_the_cause(lectures, tmp_path):
    project, keys = lectures
    broken = core_definitions(whisper=WhisperResource(model=str(tmp_path / "no-such-model")))
    result = broken.resolve_job_def("process_video").execute_in_process(
        instance=project.instance,
        partition_key=keys[0],
        asset_selection=[dg.AssetKey("transcript_segments"), dg.AssetKey("transcript_words")],
        raise_on_error=False,
    )
    assert not result.success
    retries = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert len(retries) == MODEL_RETRY.max_retries
    message = failure_messages(result)
    assert "no-such-model" in message
    assert f"gave up after {MODEL_RETRY.max_retries + 1} attempts" in message


@pytest.mark.parametrize(
    ("edited", "stale"),
    [
        (grounding, {"rewritten_chunks", "blended_chunks", "notebook"}),
        (sections, {"notebook"}),
        (segmenting, {"topic_segments"}),
        (indentation, {"visual_descriptions"}),
        (code_detection, {"visual_descriptions", "notebook"}),
    ],
)
def test_an_edit_to_stage_logic_makes_exactly_the_model_stages_using_it_stale(
    edited, stale, monkeypatch
):
    """No hand-bumped constant to forget (issue 10): a model stage's version covers the
    logic modules it uses, shared helpers included."""
    resources = model_resources()
    before = model_code_versions(resources)
    fingerprint = lineage.source_fingerprint
    monkeypatch.setattr(
        lineage,
        "source_fingerprint",
        lambda module: fingerprint(module) + ("edited" if module is edited else ""),
    )
    after = model_code_versions(resources)
    assert {name for name in before if before[name] != after[name]} == stale
