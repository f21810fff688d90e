"""Concurrency pool limits (Dagster stores per-pool limits in the instance, not dagster.yaml).

`dagster.yaml` sets the default limit for any pool; these named limits are applied by
`vid2learn` commands at start (`vid2learn pools` shows them), and can be changed with
`dagster instance concurrency set <pool> <limit>` or in the UI.
"""

from __future__ import annotations

from vid2learn_dagster.common.settings import settings


def pool_limits() -> dict[str, int]:
    """`youtube`: be polite to video sites (few parallel downloads). `gpu`: one
    model-heavy step at a time per accelerator (or per small CPU machine)."""
    configured = settings()
    return {"youtube": configured.youtube_pool_limit, "gpu": configured.gpu_pool_limit}


def apply_pool_limits(instance) -> dict[str, int]:
    """Set the named pools' limits on a Dagster instance; returns what was set."""
    limits = pool_limits()
    for pool, limit in limits.items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)
    return limits


def describe_holders(instance, pool: str, waiting_run_id: str) -> str | None:
    """Who holds `pool`'s slots while `waiting_run_id` waits for one (issue 9): e.g.
    "held by run 1f0c... (process_video, started by pid 4242)"; None when no other run does.

    A wait that never ends is otherwise silent (a bar stuck at 0 stages); naming the run
    lets the user see whether it is alive, cancel it in the UI, or free it with
    `dagster instance concurrency`.
    """
    from vid2learn_dagster.app.run_recovery import PID_TAG

    info = instance.event_log_storage.get_concurrency_info(pool)
    holders = []
    for run_id in dict.fromkeys(s.run_id for s in info.claimed_slots if s.run_id != waiting_run_id):
        run = instance.get_run_by_id(run_id)
        job = run.job_name if run else "deleted run"
        pid = run.tags.get(PID_TAG) if run else None
        owner = f"started by pid {pid}" if pid else "launched by the daemon or the UI"
        holders.append(f"run {run_id} ({job}, {owner})")
    return f"held by {'; '.join(holders)}" if holders else None
