"""A progress bar for an in-process Dagster run, fed from the instance's event log.

`execute_in_process` blocks, so a background thread polls the run's step events and
advances a tqdm bar by finished stages (the same events the UI shows). A step that waits
for a concurrency pool slot shows no progress at all, so the bar also says which run holds
the slot (issue 9): a wait on a run that is alive elsewhere is then visibly a wait.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from tqdm import tqdm

from vid2learn_dagster.app.pools import describe_holders

T = TypeVar("T")

_DONE = ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED")


def blocked_pools(events: Sequence[Any]) -> dict[str, str]:
    """Steps that Dagster reported blocked by a pool limit and that have not started since:
    step key -> pool. `events` are a run's DagsterEvents in order."""
    started = {e.step_key for e in events if e.event_type_value == "STEP_START"}
    waiting = {}
    for event in events:
        if event.event_type_value != "ENGINE_EVENT" or event.step_key in started:
            continue
        metadata = getattr(event.event_specific_data, "metadata", None) or {}
        pool = getattr(metadata.get("pool"), "pool", None)
        if event.step_key and pool:
            waiting[event.step_key] = pool
    return waiting


def run_with_progress(
    instance, run_id: str, steps: int, label: str, execute: Callable[[], T], poll_s: float = 0.5
) -> T:
    """Call `execute()` (which runs `run_id`) while a bar counts its finished steps."""
    stop = threading.Event()
    bar = tqdm(total=steps, desc=label, unit="stage", leave=True)
    said: set[str] = set()

    def refresh(final: bool = False) -> None:
        events = [e.dagster_event for e in instance.all_logs(run_id) if e.dagster_event]
        done = sum(1 for e in events if e.event_type_value in _DONE)
        started = [e.step_key for e in events if e.event_type_value == "STEP_START"]
        bar.set_postfix_str(started[-1] if started else "")
        bar.update(done - bar.n)
        if final:
            return
        for pool in sorted(set(blocked_pools(events).values())):
            holders = describe_holders(instance, pool, run_id)
            line = f"{label}: waiting for pool {pool}: {holders}" if holders else None
            if line and line not in said:  # once per holder, not every poll
                said.add(line)
                tqdm.write(line, file=sys.stderr)

    def poll() -> None:
        while not stop.wait(poll_s):
            refresh()

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        return execute()
    finally:
        stop.set()
        thread.join()
        refresh(final=True)  # the steps that finished after the last poll
        bar.close()
