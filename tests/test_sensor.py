"""The URL-list sensor: new videos become partitions with one run each, bad lines are
reported and recorded, known videos are never run again, and the cursor carries over."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from resources.ingest.registry import VideoRegistryResource
from vid2learn_dagster.app.sensors import url_list_sensor
from vid2learn_dagster.ingest.urls import video_key

A = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
B = "http://127.0.0.1:8765/lectures/b.mp4"
C = "https://youtu.be/jNQXAC9IVRw"


@pytest.fixture
def setup(tmp_path: Path):
    url_list = tmp_path / "urls.txt"
    registry = VideoRegistryResource(warehouse=str(tmp_path / "wh"), url_list=str(url_list))
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance, registry, url_list


def tick(instance, registry, cursor=None):
    """Evaluate the sensor once and apply its partition requests, as the daemon does."""
    # Closed after the tick: the context opens its resources (and, given an instance
    # reference, an instance of its own) in an exit stack that only closing it closes.
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"registry": registry}
    ) as context:
        result = url_list_sensor(context)
    if isinstance(result, dg.SensorResult):
        for request in result.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
    return result


def requested(result) -> list[str]:
    return (
        [r.partition_key for r in result.run_requests]
        if isinstance(result, dg.SensorResult)
        else []
    )


def test_new_urls_become_partitions_with_one_run_each(setup):
    instance, registry, url_list = setup
    url_list.write_text(f"# lectures\n{A}\n\n{B}  # the second one\n{A}\n")
    result = tick(instance, registry)
    assert requested(result) == [video_key(A), video_key(B)]
    assert result.dynamic_partitions_requests[0].partition_keys == [video_key(A), video_key(B)]
    assert sorted(instance.get_dynamic_partitions("videos")) == sorted(requested(result))
    assert registry.get().url_for(video_key(B)) == B


def test_known_videos_are_not_run_again_and_new_ones_are(setup):
    instance, registry, url_list = setup
    url_list.write_text(f"{A}\n")
    first = tick(instance, registry)
    url_list.write_text(f"{A}\n{C}\n")
    second = tick(instance, registry, cursor=first.cursor)
    assert requested(second) == [video_key(C)]


def test_a_video_added_elsewhere_is_not_run_again(setup):
    instance, registry, url_list = setup
    instance.add_dynamic_partitions("videos", [video_key(A)])
    url_list.write_text(f"{A}\n")
    assert requested(tick(instance, registry)) == []


def test_bad_lines_are_rejected_with_a_reason_and_do_not_stop_the_sensor(setup):
    instance, registry, url_list = setup
    url_list.write_text(f"ftp://example.com/a.mp4\nnot a url\n{A}\nhttp://\n")
    result = tick(instance, registry)
    assert requested(result) == [video_key(A)]
    rejected = pd.read_parquet(Path(registry.warehouse) / "rejected_urls")
    assert sorted(rejected["line_no"]) == [1, 2, 4]
    assert all(reason for reason in rejected["reason"])
    assert "scheme" in rejected.set_index("line_no").loc[1, "reason"]


def test_the_cursor_carries_over_a_restart(setup):
    instance, registry, url_list = setup
    url_list.write_text(f"{A}\n")
    first = tick(instance, registry)
    # A restarted daemon evaluates with the stored cursor: an unchanged list is skipped.
    again = tick(instance, registry, cursor=first.cursor)
    assert isinstance(again, dg.SkipReason)
    assert "unchanged" in again.skip_message


def test_a_missing_list_or_unreadable_cursor_is_harmless(setup):
    instance, registry, url_list = setup
    assert isinstance(tick(instance, registry), dg.SkipReason)
    url_list.write_text(f"{A}\n")
    assert requested(tick(instance, registry, cursor="{not json")) == [video_key(A)]
