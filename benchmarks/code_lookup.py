"""Code-at-timestamp latency on a catalog of 100 videos (issue 13): one JSON object.

    python -m benchmarks.code_lookup [--videos 100] [--calls 50]

Each video gets a timeline like a 10-minute tutorial (40 segments, 20 code versions of
about 15 lines), written as the pipeline writes it (one Parquet file per table per video)
with the DuckDB views over them. Reported, in milliseconds:
- `in_process`: `code_at_time` on the catalog, the first call (cold) and the median of the
  others (warm); the floor is 50 ms warm;
- `http`: GET /videos/{id}/code on `vid2learn serve`'s app on loopback (uvicorn), cold and
  warm median; the floor is 50 ms warm;
- `cli`: one `vid2learn code` process, start included (reported, not bound).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd

FLOOR_MS = 50.0
CODE = "\n".join(f"    total = total + values[{i}]  # step {i}" for i in range(15))


def write_catalog(root: Path, videos: int) -> tuple[Path, list[str]]:
    """A warehouse of `videos` timelines and its refreshed catalog."""
    from vid2learn_dagster.storage.catalog import refresh_catalog
    from vid2learn_dagster.storage.tables import conform, empty_table

    warehouse, keys = root / "warehouse", [f"video-{n:03d}" for n in range(videos)]
    for key in keys:
        starts = [15.0 * i for i in range(40)]
        segments = pd.DataFrame(
            {
                "video_id": key,
                "start": starts,
                "end": [s + 15.0 for s in starts],
                "kind": ["LEARNING" if i % 2 else "CODE" for i in range(40)],
                "scene": [i // 2 for i in range(40)],
                "title": [f"Slide {i // 2}" for i in range(40)],
                "snippet": [None if i % 2 else i // 4 + 1 for i in range(40)],
                "version": [None if i % 2 else i // 2 % 2 + 1 for i in range(40)],
            }
        )
        snippets = pd.DataFrame(
            {
                "video_id": key,
                "snippet": [i // 2 + 1 for i in range(20)],
                "version": [i % 2 + 1 for i in range(20)],
                "scene": range(20),
                "start": [30.0 * i for i in range(20)],
                "end": [30.0 * i + 15 for i in range(20)],
                "code": [CODE] * 20,
                "language": "Python",
                "confidence": 1.0,
                "parses": True,
            }
        )
        video = empty_table("source_video").reindex([0])
        video[["video_id", "title", "duration"]] = [key, key, 600.0]
        for name, table in (
            ("source_video", video),
            ("video_segments", segments),
            ("code_snippets", snippets),
        ):
            path = warehouse / name / f"{key}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            conform(table, name).to_parquet(path)
    catalog = root / "catalog.duckdb"
    refresh_catalog(catalog, str(warehouse))
    return catalog, keys


def _timed(call, calls: int) -> dict[str, float]:
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    warm = statistics.median(times[1:])
    return {"cold_ms": round(times[0], 2), "warm_median_ms": round(warm, 2), "ok": warm <= FLOOR_MS}


def measure(videos: int, calls: int) -> dict:
    import uvicorn

    from vid2learn_dagster.app.api import build_app
    from vid2learn_dagster.storage.code_lookup import code_at_time

    with tempfile.TemporaryDirectory() as tmp:
        catalog, keys = write_catalog(Path(tmp), videos)
        key = keys[videos // 2]
        warehouse = str(Path(tmp) / "warehouse")
        in_process = _timed(lambda: code_at_time(warehouse, key, 125.0, 2.0), calls)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(
                build_app(catalog, warehouse), host="127.0.0.1", port=port, log_level="error"
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/videos/{key}/code?t=2:05&tolerance=2"
        http = _timed(lambda: urllib.request.urlopen(url).read(), calls)
        server.should_exit = True
        thread.join(timeout=10)
        env = {
            **os.environ,
            "VID2LEARN_CATALOG": str(catalog),
            "VID2LEARN_WAREHOUSE": str(Path(tmp) / "warehouse"),
        }
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "vid2learn_dagster.app.cli", "code", key, "2:05"],
            env=env,
            check=True,
            capture_output=True,
        )
        cli_ms = round((time.perf_counter() - began) * 1000, 1)
    return {
        "videos": videos,
        "calls": calls,
        "floor_ms": FLOOR_MS,
        "in_process": in_process,
        "http": http,
        "cli_process_ms": cli_ms,
        "load_average_at_start": list(os.getloadavg()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=100)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(measure(args.videos, args.calls), indent=2))


if __name__ == "__main__":
    main()
