"""Concurrency pool limits (Dagster stores per-pool limits in the instance, not dagster.yaml).

`dagster.yaml` sets the default limit for any pool; these named limits are applied by
`vid2learn` commands at start (`vid2learn pools` shows them), and can be changed with
`dagster instance concurrency set <pool> <limit>` or in the UI.
"""

from __future__ import annotations

import os

# `youtube`: be polite to video sites (few parallel downloads).
# `gpu`: one model-heavy step at a time per accelerator (or per small CPU machine).
POOL_LIMITS = {
    "youtube": int(os.environ.get("VID2LEARN_YOUTUBE_POOL_LIMIT", "2")),
    "gpu": int(os.environ.get("VID2LEARN_GPU_POOL_LIMIT", "1")),
}


def apply_pool_limits(instance) -> dict[str, int]:
    """Set the named pools' limits on a Dagster instance; returns what was set."""
    for pool, limit in POOL_LIMITS.items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)
    return dict(POOL_LIMITS)
