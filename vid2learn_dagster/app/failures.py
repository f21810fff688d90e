"""Why a run failed, in one line for the terminal (issue 9, item 4).

Dagster records a failed step's whole exception chain (and its traceback) in the run's
event log, where the UI shows it. A user at the terminal needs the one sentence that says
what to fix ("HTTP 404 fetching http://...", "unsupported URL, no video found at ..."),
not a traceback. That sentence is the message of the first exception our code raised:
the description of a `dagster.Failure`, else the outermost exception that is not one of
Dagster's own wrappers. (The innermost cause is usually a library's terser message that
has lost the URL or the file the stage was working on.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MAX_CHARS = 300


def _first_line(text: str) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= MAX_CHARS else line[: MAX_CHARS - 1] + "…"


def error_message(error: Any) -> str:
    """One line from a SerializableErrorInfo chain, past Dagster's wrapper exceptions."""
    while error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    message = error.message
    head, sep, rest = message.partition(": ")
    if sep and (head == error.cls_name or head.endswith("." + error.cls_name)):
        message = rest  # drop "module.ClassName: "
    return _first_line(message) or error.cls_name


def step_failure_cause(event: Any) -> str:
    """One line for a STEP_FAILURE DagsterEvent: its Failure's description or its error."""
    data = event.step_failure_data
    user = data.user_failure_data
    if user is not None and user.description:
        return _first_line(user.description)
    if data.error is not None:
        return error_message(data.error)
    return _first_line(event.message or "failed")


def failure_cause(events: Iterable[Any]) -> str | None:
    """The first failed step of a run as "<step>: <cause>", else the run failure's own
    message; None when nothing failed. `events` are the run's DagsterEvents in order."""
    run_failure = None
    for event in events:
        if event.event_type_value == "STEP_FAILURE":
            return f"{event.step_key}: {step_failure_cause(event)}"
        if event.event_type_value in ("PIPELINE_FAILURE", "RUN_FAILURE") and run_failure is None:
            data = event.event_specific_data
            error = getattr(data, "error", None)
            run_failure = error_message(error) if error else _first_line(event.message or "")
    return run_failure
