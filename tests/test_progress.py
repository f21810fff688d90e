"""The CLI's progress bar counts a run's finished stages from the instance's event log."""

from __future__ import annotations

import uuid

import dagster as dg
import pytest

from vid2learn_dagster.app.progress import run_with_progress


@dg.asset
def first() -> int:
    return 1


@dg.asset
def second(first: int) -> int:
    return first + 1


def test_the_bar_ends_at_every_stage_even_when_no_poll_saw_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A run shorter than the poll interval must still end at n/n, not where the last
    poll left it."""
    job = dg.Definitions(assets=[first, second]).resolve_implicit_global_asset_job_def()
    run_id = str(uuid.uuid4())
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_with_progress(
            instance,
            run_id,
            2,
            "two stages",
            lambda: job.execute_in_process(instance=instance, run_id=run_id),
            poll_s=3600,
        )
    assert result.success
    final = capsys.readouterr().err.split("\r")[-1]
    assert "2/2" in final and "second" in final
