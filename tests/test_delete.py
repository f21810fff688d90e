"""`vid2learn delete VIDEO_ID` (issue 13, item 5): one video's partition, files and rows go,
every other video's files stay byte for byte, the sensors do not bring it back, and an
explicit `vid2learn run URL` does.

Two tiny videos are served on loopback, downloaded by yt-dlp and run through the stages
that write Parquet tables and media files (download, audio, keyframes, reading frames); the
model stages would add minutes and nothing that deletion treats differently. A loopback
playlist lists both, so deletion has playlist rows to remove too.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from assets import STAGE_ASSETS, STAGE_CHECKS, playlist_entries
from tests.http_server import LoopbackServer, make_test_video, serve_directory
from tests.pipeline import Project, project_at
from vid2learn_dagster import definitions
from vid2learn_dagster.app import cli
from vid2learn_dagster.app.sensors import playlist_sensor, url_list_sensor
from vid2learn_dagster.ingest.urls import video_key
from vid2learn_dagster.storage.catalog import VIEW_NAMES, query
from vid2learn_dagster.storage.tables import SCHEMAS

STAGES = {"source_video", "audio", "keyframes", "reading_frames"}

build_full_definitions = definitions.build_definitions


def stage_definitions() -> dg.Definitions:
    """The project's Definitions with only the stages in STAGES (and the playlist asset)."""
    assets = [a for a in STAGE_ASSETS if a.node_def.name in STAGES]
    keys = {key for a in assets for key in a.keys}
    checks = [c for c in STAGE_CHECKS if {k.asset_key for k in c.check_keys} <= keys]
    job = dg.define_asset_job("process_video", selection=dg.AssetSelection.assets(*assets))
    return dg.Definitions(
        assets=[*assets, playlist_entries],
        asset_checks=checks,
        jobs=[job],
        resources=build_full_definitions().resources,
    )


@dataclass
class Videos:
    """A project with two processed videos: `kept` stays, `gone` is deleted."""

    project: Project
    server: LoopbackServer
    urls: dict[str, str]  # "kept" / "gone" -> URL
    keys: dict[str, str]  # "kept" / "gone" -> partition key
    resources: dict

    @property
    def catalog(self) -> Path:
        return self.project.root / "data" / "catalog.duckdb"

    def list_playlists(self) -> None:
        """Check the playlists now, as the daily schedule's run does, then refresh the views
        as `catalog_refresh_sensor` does after it."""
        result = dg.materialize(
            [playlist_entries], instance=self.project.instance, resources=self.resources
        )
        assert result.success
        self.resources["catalog"].refresh()


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Iterator[Videos]:
    root = tmp_path_factory.mktemp("delete")
    www = root / "www"
    make_test_video(www / "kept.mp4", seconds=2.0, cuts=[1.0])
    make_test_video(www / "gone.mp4", seconds=2.0, cuts=[0.8])
    with (
        pytest.MonkeyPatch.context() as env,
        serve_directory(www) as server,
        project_at(root / "project") as project,
    ):
        env.setenv("VID2LEARN_PLAYLIST_SLEEP_S", "0")
        env.setattr(definitions, "build_definitions", stage_definitions)
        urls = {name: server.url(f"{name}.mp4") for name in ("kept", "gone")}
        page = "".join(f'<video src="{name}.mp4"></video>' for name in urls)
        course = server.add_route("course.html", body=f"<html><body>{page}</body></html>")
        data = project.root / "data"
        data.mkdir(exist_ok=True)
        (data / "urls.txt").write_text("".join(f"{url}\n" for url in urls.values()))
        (data / "playlists.txt").write_text(f"{course}\n")

        assert cli.main(["run", *urls.values()]) == 0
        keys = {name: video_key(url) for name, url in urls.items()}
        setup = Videos(project, server, urls, keys, dict(build_full_definitions().resources))
        setup.list_playlists()
        yield setup


def hash_files(folder: Path) -> dict[Path, str]:
    """sha256 of every file under `folder`, by path relative to it."""
    return {
        path.relative_to(folder): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.rglob("*")
        if path.is_file()
    }


def belongs_to(path: Path, video: str) -> bool:
    """Whether a warehouse path is `video`'s: `<table>/<video>.parquet` or under its media."""
    return path.name == f"{video}.parquet" or path.parts[:2] == ("media", video)


def view_rows(catalog: Path, video: str) -> dict[str, pd.DataFrame]:
    """`video`'s rows in every DuckDB view that has a video_id."""
    return {
        view: query(catalog, f"SELECT * FROM {view} WHERE video_id = '{video}' ORDER BY ALL")
        for asset, view in VIEW_NAMES.items()
        if "video_id" in SCHEMAS[asset].names
    }


def started_run(
    instance: dg.DagsterInstance, status: dg.DagsterRunStatus, tags: dict
) -> dg.DagsterRun:
    """A process_video run recorded in the instance as the daemon's would be."""
    run = dg.DagsterRun(
        job_name="process_video", run_id=str(uuid.uuid4()), status=status, tags=tags
    )
    instance.add_run(run)
    return run


def test_without_yes_it_refuses_off_a_terminal_and_asks_on_one(videos, monkeypatch, capsys):
    gone = videos.keys["gone"]
    read_end, write_end = os.pipe()  # stdin from a pipe, as in a script
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        monkeypatch.setattr(sys, "stdin", pipe)
        with pytest.raises(SystemExit) as refused:
            cli.main(["delete", gone])
    message = str(refused.value)
    assert "not a terminal" in message and "--yes" in message and "\n" not in message

    primary, secondary = os.openpty()
    os.write(primary, b"n\n")  # someone at the terminal answers no
    with os.fdopen(secondary) as terminal:
        monkeypatch.setattr(sys, "stdin", terminal)
        assert cli.main(["delete", gone]) == 1
    os.close(primary)
    assert f"Delete video {gone}" in capsys.readouterr().out
    assert videos.project.instance.has_dynamic_partition("videos", gone)
    assert videos.project.has_table("source_video", gone)


def test_a_video_in_a_started_or_starting_run_is_refused_naming_the_run(videos):
    instance, gone = videos.project.instance, videos.keys["gone"]
    own = started_run(instance, dg.DagsterRunStatus.STARTED, {PARTITION_NAME_TAG: gone})
    # A batch run over a range of neighbouring videos, being started.
    first, last = instance.get_dynamic_partitions("videos")
    batch = started_run(
        instance,
        dg.DagsterRunStatus.STARTING,
        {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
    )
    try:
        with pytest.raises(SystemExit) as refused:
            cli.main(["delete", gone, "--yes"])
        message = str(refused.value)
        assert f"run {own.run_id} (process_video, STARTED)" in message
        assert f"run {batch.run_id} (process_video, STARTING)" in message
    finally:
        instance.delete_run(own.run_id)
        instance.delete_run(batch.run_id)
    assert instance.has_dynamic_partition("videos", gone)
    assert videos.project.has_table("source_video", gone)


@dataclass
class Deleted:
    """The warehouse's files and the kept video's view rows, before and after deleting."""

    files_before: dict[Path, str]
    files_after: dict[Path, str]
    rows_before: dict[str, pd.DataFrame]
    rows_after: dict[str, pd.DataFrame]
    output: str


@pytest.fixture(scope="module")
def deleted(videos) -> Deleted:
    warehouse, kept = videos.project.warehouse, videos.keys["kept"]
    files_before, rows_before = hash_files(warehouse), view_rows(videos.catalog, kept)
    with contextlib.redirect_stdout(io.StringIO()) as output:
        assert cli.main(["delete", videos.keys["gone"], "--yes"]) == 0
    return Deleted(
        files_before,
        hash_files(warehouse),
        rows_before,
        view_rows(videos.catalog, kept),
        output.getvalue(),
    )


def test_the_other_video_is_byte_identical_and_nothing_of_the_deleted_one_is_left(videos, deleted):
    kept, gone = videos.keys["kept"], videos.keys["gone"]
    before, after = deleted.files_before, deleted.files_after
    kept_files = [path for path in before if belongs_to(path, kept)]
    assert {path.parts[0] for path in kept_files} >= {*STAGES, "video_urls", "media"}
    assert any(path.suffix == ".jpg" for path in kept_files), "keyframe images"
    for path, digest in before.items():
        if belongs_to(path, gone):
            assert path not in after, path
        elif path.parts[0] != "playlist_entries":  # a listing that held both is rewritten
            assert after.get(path) == digest, f"{path} changed"
    assert set(after) - set(before) == {Path("deleted_videos") / f"{gone}.parquet"}
    assert not (videos.project.warehouse / "media" / gone).exists()

    assert deleted.rows_after.keys() == deleted.rows_before.keys()
    for view, rows in deleted.rows_before.items():
        pd.testing.assert_frame_equal(deleted.rows_after[view], rows, obj=view)
    assert len(deleted.rows_after["videos"]) == 1 and len(deleted.rows_after["keyframes"]) >= 1
    for view, rows in view_rows(videos.catalog, gone).items():
        expected = 1 if view == "deleted_videos" else 0
        assert len(rows) == expected, view
    record = view_rows(videos.catalog, gone)["deleted_videos"].iloc[0]
    assert record["url"] == videos.urls["gone"]

    instance = videos.project.instance
    assert instance.get_dynamic_partitions("videos") == [kept]
    assert deleted.output.startswith(f"deleted {gone}: its partition, ")
    assert "1 playlist rows" in deleted.output


def test_the_sensors_do_not_add_it_again(videos, deleted):
    project = videos.project
    newcomer = videos.server.url("new.mp4")
    url_list = project.root / "data" / "urls.txt"
    url_list.write_text(url_list.read_text() + f"{newcomer}\n")
    with dg.build_sensor_context(
        instance_ref=project.instance.get_ref(), resources=videos.resources
    ) as context:
        result = url_list_sensor(context)
    assert [r.partition_key for r in result.run_requests] == [video_key(newcomer)]

    # The playlist still lists it: the next check records it again, the sensor skips it.
    videos.list_playlists()
    entries = pd.read_parquet(project.warehouse / "playlist_entries")
    assert videos.keys["gone"] in set(entries["video_id"])
    with dg.build_sensor_context(
        instance_ref=project.instance.get_ref(),
        resources=videos.resources,
        repository_def=stage_definitions().get_repository_def(),
    ) as context:
        data = playlist_sensor.evaluate_tick(context)
    assert not data.run_requests and not data.dynamic_partitions_requests
    assert project.instance.get_dynamic_partitions("videos") == [videos.keys["kept"]]


def test_vid2learn_run_url_processes_it_again(videos, deleted, capsys):
    """Last in the module: the deleted video comes back."""
    gone = videos.keys["gone"]
    assert cli.main(["run", videos.urls["gone"]]) == 0
    assert f"{gone} had been deleted; processing it again" in capsys.readouterr().err
    project = videos.project
    assert gone in project.instance.get_dynamic_partitions("videos")
    assert all(project.has_table(stage, gone) for stage in STAGES)
    assert project.has_table("video_urls", gone)
    assert not project.has_table("deleted_videos", gone)
    assert query(videos.catalog, "SELECT * FROM deleted_videos").empty
