"""`vid2learn`: run the pipeline, query the catalog, delete a video, start the UI.

The CLI uses the same Dagster instance (`.dagster_home/`) and the same Definitions as
the UI, so every run it makes shows up there with its logs and metadata.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import uuid
import warnings
from pathlib import Path

from vid2learn_dagster.storage.project import ensure_dagster_home, project_paths


def _instance():
    ensure_dagster_home()
    from dagster import DagsterInstance

    from vid2learn_dagster.app.pools import apply_pool_limits
    from vid2learn_dagster.app.run_recovery import recover_runs

    instance = DagsterInstance.get()
    apply_pool_limits(instance)
    # A run whose process was killed (SIGKILL, the OOM killer) still holds its pool slot and
    # would make every later run wait forever (issue 9): settle those runs first.
    for recovered in recover_runs(instance):
        print(f"vid2learn: {recovered.describe()}", file=sys.stderr)
    return instance


# The runs' console log: only what the user must act on. A failed run is summed up in one
# line by the CLI (vid2learn_dagster/app/failures.py) and its traceback stays in the run log
# (the UI, or --log-level ERROR/INFO), issue 9.
QUIET_LOG_LEVEL = "CRITICAL"


def quiet_dagster_warnings() -> None:
    """Keep Dagster's Beta/Preview/Superseded API notices (about our own definitions, not
    about the user's videos) off the terminal (issue 9)."""
    from dagster import BetaWarning, PreviewWarning, SupersessionWarning

    for category in (BetaWarning, PreviewWarning, SupersessionWarning):
        warnings.filterwarnings("ignore", category=category)


def _as_url(arg: str) -> str:
    """A local path becomes an absolute file:// URL; anything else is taken as a URL."""
    path = Path(arg).expanduser()
    if "://" not in arg and path.exists():
        return path.resolve().as_uri()
    return arg


def add_videos(instance, targets: list[str], source: str) -> list[str]:
    """Register URLs/paths as video partitions; returns their keys (bad ones exit 2).

    Naming a video explicitly is the way back for a deleted one (`vid2learn delete`): its
    `deleted_videos` row is cleared, which the sensors honour."""
    from vid2learn_dagster.app.partitions import videos_partitions
    from vid2learn_dagster.ingest.registry import VideoRegistry
    from vid2learn_dagster.ingest.urls import parse_url_list, video_key

    parsed = parse_url_list("\n".join(_as_url(t) for t in targets))
    for bad in parsed.rejected:
        print(f"vid2learn: rejected {bad.text!r}: {bad.reason}", file=sys.stderr)
    if parsed.rejected:
        raise SystemExit(2)
    registry = VideoRegistry(project_paths().warehouse)
    keys = []
    for line in parsed.accepted:
        key = video_key(line.url)
        if registry.clear_deletion(key):
            print(f"vid2learn: {key} had been deleted; processing it again", file=sys.stderr)
        registry.register(key, line.url, source=source)
        keys.append(key)
    known = set(instance.get_dynamic_partitions(videos_partitions.name))
    new = [k for k in keys if k not in known]
    if new:
        instance.add_dynamic_partitions(videos_partitions.name, new)
    return keys


def run_videos(
    instance,
    keys: list[str],
    log_level: str = QUIET_LOG_LEVEL,
    selections: dict | None = None,
    causes: dict[str, str] | None = None,
) -> dict[str, bool]:
    """Materialize every stage for each video in-process (only `selections[key]`, a set of
    asset keys, when given); returns success per key, and puts each failed video's cause
    (one line) in `causes` when given.

    One video is one run. Several videos: the per-video stages run one video at a time, then
    the model stages take neighbouring videos in one run each (`assets/common/batches.py`), so a
    model is loaded once and batches every video's prompts. A video whose own stages failed
    is left out of the model runs, and a failed batch runs again one video at a time.
    """
    from dagster import AssetKey

    from assets import BATCHED_STAGE_KEYS as batched
    from vid2learn_dagster.app.jobs import process_video_job
    from vid2learn_dagster.app.partitions import videos_partitions
    from vid2learn_dagster.common.batching import contiguous_batches
    from vid2learn_dagster.definitions import build_definitions

    # Built now, not at import, so the project paths of this invocation are used.
    job = build_definitions().resolve_job_def(process_video_job.name)
    every = set(job.asset_layer.selected_asset_keys)
    wanted = {key: set((selections or {}).get(key) or every) for key in keys}
    causes = {} if causes is None else causes

    def execute(videos: list[str], selection: set) -> bool:
        cause = _execute(instance, job, videos, selection, log_level)
        for key in videos:
            if cause is None:
                causes.pop(key, None)
            else:
                causes.setdefault(key, cause)
        return cause is None

    if len(keys) == 1:
        return {keys[0]: execute(keys, wanted[keys[0]])}

    outcome = {
        key: execute([key], wanted[key] - batched) if wanted[key] - batched else True
        for key in keys
    }
    groups: dict[frozenset[AssetKey], list[str]] = {}
    for key in keys:
        if outcome[key] and wanted[key] & batched:
            groups.setdefault(frozenset(wanted[key] & batched), []).append(key)
    order = instance.get_dynamic_partitions(videos_partitions.name)
    for selection, members in groups.items():
        for batch in contiguous_batches(order, members):
            ok = execute(batch, selection)
            if ok or len(batch) == 1:
                outcome.update(dict.fromkeys(batch, ok))
                continue
            # One video's bad input fails the whole batch's step; run the videos one by one
            # so that only that video fails and the others still get their notebooks.
            print(
                f"vid2learn: the batch {batch[0]}..{batch[-1]} failed; "
                "running its videos one at a time",
                file=sys.stderr,
            )
            for key in batch:
                causes.pop(key, None)  # the batch's cause may be another video's
                outcome[key] = execute([key], selection)
    return outcome


def _execute(instance, job, videos: list[str], selection: set, log_level: str) -> str | None:
    """One in-process run of `selection` for one video or a range of neighbouring videos,
    with a progress bar; returns None on success, else the failure's cause in one line
    (also printed)."""
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    from vid2learn_dagster.app.failures import failure_cause
    from vid2learn_dagster.app.progress import run_with_progress
    from vid2learn_dagster.app.run_recovery import process_tags

    run_id = str(uuid.uuid4())
    # The pid lets a later command tell that this run's process was killed (issue 9).
    tags = {"vid2learn/launched_by": "cli", **process_tags()}
    if len(videos) == 1:
        label, partition_key = videos[0], videos[0]
    else:
        label, partition_key = f"{len(videos)} videos {videos[0]}..{videos[-1]}", None
        tags |= {
            ASSET_PARTITION_RANGE_START_TAG: videos[0],
            ASSET_PARTITION_RANGE_END_TAG: videos[-1],
        }
    steps = job.get_subset(asset_selection=selection).nodes_in_topological_order
    result = run_with_progress(
        instance,
        run_id,
        len(steps),
        label,
        lambda: job.execute_in_process(
            # The bar shows progress; the full log is in the UI (or --log-level INFO).
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            instance=instance,
            partition_key=partition_key,
            run_id=run_id,
            asset_selection=list(selection),
            raise_on_error=False,
            tags=tags,
        ),
    )
    if result.success:
        return None
    cause = failure_cause(result.all_events) or "failed (see the run's log in the UI)"
    print(f"vid2learn: {label}: {cause} (run {run_id})", file=sys.stderr)
    return cause


def _refresh_catalog() -> None:
    from vid2learn_dagster.storage.catalog import refresh_catalog

    paths = project_paths()
    paths.catalog.parent.mkdir(parents=True, exist_ok=True)
    refresh_catalog(paths.catalog, paths.warehouse)


def _notebook_paths(keys: list[str]) -> dict[str, str]:
    from vid2learn_dagster.storage.catalog import query

    if not keys:
        return {}
    rows = query(
        project_paths().catalog,
        "SELECT video_id, notebook_path FROM notebooks WHERE video_id IN ("
        + ", ".join(f"'{k}'" for k in keys)
        + ")",
    )
    return dict(zip(rows["video_id"], rows["notebook_path"], strict=True))


def cmd_run(args: argparse.Namespace) -> int:
    instance = _instance()
    keys = add_videos(instance, args.targets, source="cli")
    causes: dict[str, str] = {}
    outcome = run_videos(instance, keys, args.log_level, causes=causes)
    _refresh_catalog()
    _print_outcome(outcome, causes)
    return 0 if all(outcome.values()) else 1


def _print_outcome(outcome: dict[str, bool], causes: dict[str, str]) -> None:
    """One line per video, failures last: the last line a user sees names what went wrong."""
    notebooks = _notebook_paths([k for k, ok in outcome.items() if ok])
    for key, ok in sorted(outcome.items(), key=lambda item: not item[1]):
        cause = causes.get(key, "see the run's log in the UI")
        print(f"{key}\t{notebooks.get(key, '')}" if ok else f"{key}\tFAILED: {cause}")


def cmd_query(args: argparse.Namespace) -> int:
    from vid2learn_dagster.storage.catalog import format_result, query

    _refresh_catalog()
    print(format_result(query(project_paths().catalog, args.sql), args.format))
    return 0


def cmd_code(args: argparse.Namespace) -> int:
    """The code on screen at a moment (issue 13), or what is taught there."""
    import json

    from vid2learn_dagster.notebook.rendering import clock
    from vid2learn_dagster.storage.code_lookup import UnknownVideo, code_at_time, parse_timestamp

    try:
        seconds = parse_timestamp(args.timestamp)
        answer = code_at_time(project_paths().warehouse, args.video, seconds, args.tolerance)
    except (ValueError, UnknownVideo, FileNotFoundError) as err:
        print(f"vid2learn code: {err}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(answer, indent=2))
    elif answer["kind"] == "LEARNING":
        print(f"LEARNING at {clock(seconds)}: {answer['title'] or '(no slide title)'}")
    else:
        print(
            f"# {answer['kind']} at {clock(seconds)}: {answer['title']} (snippet "
            f"{answer['snippet']} version {answer['version']}, on screen "
            f"{clock(answer['start'])}-{clock(answer['end'])}, {answer['language']})"
        )
        print(answer["code"])
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The read-only HTTP API over the catalog (issue 13), until interrupted."""
    import uvicorn

    from vid2learn_dagster.app.api import build_app

    _refresh_catalog()
    paths = project_paths()
    app = build_app(paths.catalog, paths.warehouse, args.cors_origin)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


DEMO_QUERY = (
    "SELECT v.title, round(v.duration, 1) AS seconds, count(DISTINCT s.segment_id) AS segments, "
    "count(DISTINCT k.scene) AS scenes FROM videos v "
    "LEFT JOIN transcript_segments s USING (video_id) LEFT JOIN keyframes k USING (video_id) "
    "GROUP BY ALL"
)


def cmd_demo(args: argparse.Namespace) -> int:
    from vid2learn_dagster.sample import sample_video

    print(f"vid2learn demo: processing the bundled sample lecture {sample_video()}")
    status = cmd_run(argparse.Namespace(targets=[str(sample_video())], log_level=args.log_level))
    if status == 0:
        print("\n" + DEMO_QUERY + "\n")
        cmd_query(argparse.Namespace(sql=DEMO_QUERY, format="table"))
    return status


def _outdated(args: argparse.Namespace):
    from dagster._core.definitions.data_version import StaleStatus

    from vid2learn_dagster.app.staleness import find_outdated
    from vid2learn_dagster.definitions import build_definitions

    statuses = [StaleStatus.STALE] if args.stale or not args.missing else []
    statuses += [StaleStatus.MISSING] if args.missing else []
    instance = _instance()
    defs = build_definitions()
    return instance, defs, find_outdated(instance, defs, statuses, args.videos or None)


def cmd_stale(args: argparse.Namespace) -> int:
    """Print the out-of-date (asset, video) pairs, one a line, with Dagster's reasons."""
    _, _, outdated = _outdated(args)
    for item in outdated:
        print(f"{item.asset}\t{item.video}\t{item.status}\t{'; '.join(item.causes)}")
    return 0


def cmd_rerun(args: argparse.Namespace) -> int:
    """Materialize the out-of-date assets and their descendants, one run per video."""
    from vid2learn_dagster.app.staleness import rerun_plan

    if not (args.stale or args.missing):
        raise SystemExit("vid2learn rerun: say what to re-run: --stale and/or --missing")
    instance, defs, outdated = _outdated(args)
    plan = rerun_plan(defs, outdated)
    for video, keys in plan.items():
        print(f"{video}: {', '.join(k.to_user_string() for k in keys)}")
    causes: dict[str, str] = {}
    outcome = run_videos(instance, list(plan), args.log_level, selections=plan, causes=causes)
    _refresh_catalog()
    if not all(outcome.values()):
        _print_outcome(outcome, causes)
    return 0 if all(outcome.values()) else 1


def cmd_delete(args: argparse.Namespace) -> int:
    """Remove one video's partition, files and rows, and keep the sensors from adding it back.

    Refused while a run processes the video (it would write the files again), and, without
    --yes, unless someone at a terminal confirms: deleting cannot be undone.
    """
    from vid2learn_dagster.app.deletion import delete_video, describe_run, find_active_runs
    from vid2learn_dagster.app.partitions import videos_partitions
    from vid2learn_dagster.storage.deletion import find_video_files

    key = args.video
    instance = _instance()
    warehouse = project_paths().warehouse
    files = find_video_files(warehouse, key)
    if not files and not instance.has_dynamic_partition(videos_partitions.name, key):
        raise SystemExit(f"vid2learn delete: no video {key}: no partition and no files")
    runs = find_active_runs(instance, key)
    if runs:
        raise SystemExit(
            f"vid2learn delete: {key} is being processed by "
            + ", ".join(describe_run(run) for run in runs)
            + "; wait for it to end or cancel it, then delete"
        )
    if not args.yes and not _confirm(
        f"Delete video {key}: its partition, {len(files)} files and its rows? [y/N] "
    ):
        print("vid2learn delete: nothing deleted", file=sys.stderr)
        return 1
    deletion = delete_video(instance, key, warehouse)
    _refresh_catalog()
    print(
        f"deleted {key}: its partition, {deletion.files} files, "
        f"{deletion.playlist_rows} playlist rows; the sensors will not add it again "
        f"(`vid2learn run {deletion.url or 'URL'}` processes it again)"
    )
    return 0


def _confirm(question: str) -> bool:
    """Ask at the terminal; off a terminal (a script, a pipe, cron) no one can answer, so
    refuse rather than read a stray line as consent."""
    if not sys.stdin.isatty():
        raise SystemExit(
            "vid2learn delete: stdin is not a terminal, so no one can confirm; "
            "pass --yes to delete without asking"
        )
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def cmd_ui(args: argparse.Namespace) -> int:
    """Start the webserver and the daemon (sensors, schedules, run queue) together."""
    ensure_dagster_home()
    _instance()
    root = project_paths().root
    target = (
        ["-w", str(root / "workspace.yaml")]
        if (root / "workspace.yaml").is_file()
        else ["-m", "vid2learn_dagster.definitions"]
    )
    cmd = [dagster_executable(), "dev", *target, "-h", args.host, "-p", str(args.port)]
    print(" ".join(cmd), flush=True)
    # Become `dagster dev` (not its parent): Ctrl-C and SIGTERM then reach it directly and it
    # shuts the webserver, daemon and code server down cleanly; a parent's subprocess.call
    # would SIGKILL it 0.25 s after Ctrl-C and orphan those children.
    os.chdir(root)
    os.execvp(cmd[0], cmd)


def dagster_executable() -> str:
    """The `dagster` script of the environment this CLI runs in, so `.venv/bin/vid2learn ui`
    works without the venv on PATH (issue 9); PATH's `dagster` only when there is none."""
    beside = Path(sys.executable).parent / "dagster"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("dagster")
    if found is None:
        raise SystemExit(
            f"vid2learn ui: no dagster executable beside {sys.executable} or on PATH; "
            "reinstall vid2learn (pip install -e .)"
        )
    return found


def cmd_pools(args: argparse.Namespace) -> int:
    from vid2learn_dagster.app.pools import pool_limits

    _instance()  # applies the limits
    for pool, limit in sorted(pool_limits().items()):
        print(f"{pool}\t{limit}")
    return 0


LOG_LEVEL_HELP = (
    "console log level of the runs (default: none; a failure is summed up in one line and "
    "the full log, tracebacks included, is in the UI)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vid2learn", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="add videos and materialize every stage for them")
    run.add_argument("targets", nargs="+", metavar="URL_OR_PATH")
    run.add_argument("--log-level", default=QUIET_LOG_LEVEL, help=LOG_LEVEL_HELP)
    run.set_defaults(func=cmd_run)

    query = sub.add_parser("query", help="run SQL against the DuckDB catalog")
    query.add_argument("sql")
    query.add_argument("--format", choices=["table", "csv", "json"], default="table")
    query.set_defaults(func=cmd_query)

    code = sub.add_parser("code", help="the code on screen at a moment of a processed video")
    code.add_argument("video", metavar="VIDEO_ID")
    code.add_argument("timestamp", metavar="TIMESTAMP", help="seconds, m:ss or h:mm:ss")
    code.add_argument(
        "--tolerance", type=float, default=0.0, help="seconds either side to look (default 0)"
    )
    code.add_argument("--format", choices=["text", "json"], default="text")
    code.set_defaults(func=cmd_code)

    serve = sub.add_parser("serve", help="serve the catalog read-only over HTTP (JSON API)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="an origin browsers may call the API from (repeatable; default none)",
    )
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="run the pipeline on the bundled sample lecture")
    demo.add_argument("--log-level", default=QUIET_LOG_LEVEL, help=LOG_LEVEL_HELP)
    demo.set_defaults(func=cmd_demo)

    ui = sub.add_parser("ui", help="start the Dagster webserver and daemon for this project")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)

    delete = sub.add_parser(
        "delete", help="remove a video's partition, files and rows (the sensors skip it after)"
    )
    delete.add_argument("video", metavar="VIDEO_ID")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(func=cmd_delete)

    pools = sub.add_parser("pools", help="apply and show the concurrency pool limits")
    pools.set_defaults(func=cmd_pools)

    for name, func, text in (
        ("stale", cmd_stale, "list (asset, video) pairs that are out of date"),
        ("rerun", cmd_rerun, "materialize out-of-date assets and their descendants"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("videos", nargs="*", metavar="VIDEO", help="default: every video")
        command.add_argument("--stale", action="store_true", help="changed code or inputs")
        command.add_argument("--missing", action="store_true", help="never made (failed runs)")
        command.add_argument("--log-level", default=QUIET_LOG_LEVEL, help=LOG_LEVEL_HELP)
        command.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet_dagster_warnings()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
