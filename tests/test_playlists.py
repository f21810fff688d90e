"""Playlist ingestion: the schedule lists every playlist with yt-dlp's flat extraction, the
sensor turns new entries into video partitions with one run each; known videos are never
run again and a broken playlist does not stop the others.

Playlists are served on loopback: an HTML page with `<video>` tags and an RSS feed with
enclosures both expand into one entry per video (shared/FACTS.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from assets.ingest.playlists import playlist_entries
from tests.http_server import (
    LoopbackServer,
    closed_port_url,
    http_server_fixture,  # noqa: F401
)
from tests.pipeline import project_at
from vid2learn_dagster.app.schedules import playlist_schedule
from vid2learn_dagster.app.sensors import playlist_sensor
from vid2learn_dagster.ingest.playlists import SiteSettings, expand_playlist, expand_playlists
from vid2learn_dagster.ingest.urls import video_key


def html_page(*videos: str) -> str:
    tags = "\n".join(f'<video src="{v}"></video>' for v in videos)
    return f"<html><head><title>Lectures</title></head><body>{tags}</body></html>"


def rss_feed(server: LoopbackServer, *videos: str) -> str:
    items = "".join(
        f"<item><title>Episode {v}</title><guid>{v}</guid>"
        f'<enclosure url="{server.url(v)}" type="video/mp4" length="1"/></item>'
        for v in videos
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>'
        f"<link>{server.url('')}</link>{items}</channel></rss>"
    )


def test_an_html_page_expands_into_its_videos_in_order(http_server):
    url = http_server.add_route("course.html", body=html_page("a.mp4", "b.mp4", "c.mp4"))
    table = expand_playlist(url)
    assert list(table["video_url"]) == [http_server.url(v) for v in ("a.mp4", "b.mp4", "c.mp4")]
    assert list(table["position"]) == [1, 2, 3]
    # The same key as the media URL listed on its own: one partition per video, wherever listed.
    assert list(table["video_id"]) == [video_key(u) for u in table["video_url"]]
    assert set(table["playlist_url"]) == {url}


def test_an_rss_feed_expands_into_its_enclosures(http_server):
    url = http_server.add_route(
        "feed.xml", body=rss_feed(http_server, "x.mp4", "y.mp4"), content_type="application/rss+xml"
    )
    table = expand_playlist(url)
    # yt-dlp smuggles the item's guid into the URL; the stored URL is the plain enclosure.
    assert list(table["video_url"]) == [http_server.url("x.mp4"), http_server.url("y.mp4")]
    assert list(table["title"]) == ["Episode x.mp4", "Episode y.mp4"]


def test_a_broken_playlist_is_reported_and_the_others_go_on(http_server):
    good = http_server.add_route("good.html", body=html_page("a.mp4"))
    missing = http_server.add_route("gone.html", status=404, body="no")
    refused = closed_port_url("list.html")
    pauses: list[float] = []
    result = expand_playlists(
        [missing, refused, good],
        SiteSettings(sleep_interval=1.5),
        sleep=pauses.append,
    )
    assert list(result.listings) == [good]
    assert [f.playlist_url for f in result.failures] == [missing, refused]
    assert "HTTP 404" in result.failures[0].reason
    assert "network error" in result.failures[1].reason
    assert pauses == [1.5, 1.5]  # between playlists, not before the first


@dataclass
class Service:
    """A project's Definitions and instance, driven tick by tick as the daemon would."""

    defs: dg.Definitions
    instance: dg.DagsterInstance
    playlist_list: Path
    warehouse: Path
    sensor_cursor: str | None = None

    @property
    def resources(self) -> dict:
        return dict(self.defs.resources or {})

    def schedule_tick(self) -> dg.ExecuteInProcessResult | dg.SkipReason:
        """Evaluate the schedule; run what it requests."""
        # Closed before the run, like the sensor's: the context turns the instance into a
        # reference and opens its own instance from it for the resources. Entering that
        # instance sets Dagster's current defs-state storage (a ContextVar); left open, it
        # is reset only when the garbage collector finalizes it, which puts back the
        # storage of this test's instance, long closed, and a later test's Definitions
        # fail with "Attempted to resolve undefined DagsterInstance weakref".
        with dg.build_schedule_context(instance=self.instance, resources=self.resources) as context:
            request = playlist_schedule(context)
        if isinstance(request, dg.SkipReason):
            return request
        return dg.materialize(
            [playlist_entries],
            instance=self.instance,
            resources=self.resources,
            raise_on_error=False,
        )

    def sensor_tick(self) -> list[str]:
        """Evaluate the sensor; apply its partition requests; return the requested keys."""
        # By reference, as the daemon does: run requests for partitions the same tick adds
        # are validated against the instance's partitions plus those requests.
        # Closed after the tick: it opens its own instance from the reference.
        with dg.build_sensor_context(
            instance_ref=self.instance.get_ref(),
            cursor=self.sensor_cursor,
            resources=self.resources,
            repository_def=self.defs.get_repository_def(),
        ) as context:
            data = playlist_sensor.evaluate_tick(context)
        self.sensor_cursor = data.cursor
        for request in data.dynamic_partitions_requests or []:
            self.instance.add_dynamic_partitions(
                request.partitions_def_name, list(request.partition_keys)
            )
        return [r.partition_key for r in data.run_requests or []]


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Service]:
    from vid2learn_dagster.definitions import build_definitions

    monkeypatch.setenv("VID2LEARN_PLAYLIST_SLEEP_S", "0")
    with project_at(tmp_path / "project") as project:
        (project.root / "data").mkdir()
        defs = build_definitions()
        yield Service(
            defs, project.instance, project.root / "data" / "playlists.txt", project.warehouse
        )


def test_the_schedule_skips_without_a_playlist_list(service):
    assert isinstance(service.schedule_tick(), dg.SkipReason)
    assert service.sensor_tick() == []


def test_first_tick_adds_every_video_and_the_next_only_the_new_one(service, http_server):
    page = http_server.add_route("course.html", body=html_page("a.mp4", "b.mp4"))
    feed = http_server.add_route("feed.xml", body=rss_feed(http_server, "c.mp4"))
    service.playlist_list.write_text(f"# my courses\n{page}\n{feed}\n")
    keys = {v: video_key(http_server.url(v)) for v in ("a.mp4", "b.mp4", "c.mp4", "d.mp4")}

    assert service.schedule_tick().success
    first = service.sensor_tick()
    assert sorted(first) == sorted(keys[v] for v in ("a.mp4", "b.mp4", "c.mp4"))
    assert sorted(service.instance.get_dynamic_partitions("videos")) == sorted(first)
    registry = service.resources["registry"].get()  # the project's registry
    assert registry.url_for(keys["a.mp4"]) == http_server.url("a.mp4")

    # A lecture is published; the next daily check finds only it.
    http_server.add_route("course.html", body=html_page("a.mp4", "b.mp4", "d.mp4"))
    assert service.schedule_tick().success
    assert service.sensor_tick() == [keys["d.mp4"]]
    # Nothing new: the sensor requests nothing (and no materialization: it does not tick).
    assert service.sensor_tick() == []


def test_a_broken_playlist_url_does_not_stop_the_others(service, http_server):
    page = http_server.add_route("course.html", body=html_page("a.mp4"))
    gone = http_server.add_route("gone.html", status=404, body="gone")
    service.playlist_list.write_text(f"{gone}\nnot a url\n{page}\n")

    result = service.schedule_tick()
    assert result.success
    assert service.sensor_tick() == [video_key(http_server.url("a.mp4"))]
    materialization = result.asset_materializations_for_node("playlist_entries")[0]
    assert "HTTP 404" in materialization.metadata["failed_playlists"].value
    rejected = pd.read_parquet(service.warehouse / "rejected_urls").set_index("line_no")
    assert sorted(rejected.index) == [1, 2]
    assert "HTTP 404" in rejected.loc[1, "reason"]


def test_only_failing_playlists_fail_the_run(service):
    service.playlist_list.write_text(f"{closed_port_url('list.html')}\n")
    result = service.schedule_tick()
    assert not result.success


def test_a_schedule_tick_leaves_no_instance_open(tmp_path: Path) -> None:
    """Definitions still load after a tick's project is gone (other modules' tests rely on it).

    An instance left open by a tick restores, once collected, the defs-state storage of
    the project's closed instance, and loading any Definitions then fails.
    """
    from vid2learn_dagster.definitions import build_definitions

    with project_at(tmp_path / "project") as project:
        defs = build_definitions()
        playlist_list = project.root / "data" / "playlists.txt"
        service = Service(defs, project.instance, playlist_list, project.warehouse)
        assert isinstance(service.schedule_tick(), dg.SkipReason)
    del service, project
    gc.collect()
    build_definitions().get_repository_def()
