"""A progress bar for an in-process Dagster run, fed from the instance's event log.

`execute_in_process` blocks, so a background thread polls the run's step events and
advances a tqdm bar by finished stages (the same events the UI shows).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")

_DONE = ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED")


def run_with_progress(
    instance, run_id: str, steps: int, label: str, execute: Callable[[], T], poll_s: float = 0.5
) -> T:
    """Call `execute()` (which runs `run_id`) while a bar counts its finished steps."""
    stop = threading.Event()
    bar = tqdm(total=steps, desc=label, unit="stage", leave=True)

    def refresh() -> None:
        events = [e.dagster_event for e in instance.all_logs(run_id) if e.dagster_event]
        done = sum(1 for e in events if e.event_type_value in _DONE)
        started = [e.step_key for e in events if e.event_type_value == "STEP_START"]
        bar.set_postfix_str(started[-1] if started else "")
        bar.update(done - bar.n)

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
        refresh()  # the steps that finished after the last poll
        bar.close()
