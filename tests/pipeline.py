"""Run the real pipeline for tests: a throwaway project folder, a real Dagster instance.

Everything goes through the same code paths as `vid2learn run`: the URL is registered,
the partition is added to the instance, and the `process_video` job runs in-process.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest


@dataclass
class Project:
    """A vid2learn project folder with its environment applied."""

    root: Path
    instance: dg.DagsterInstance

    @property
    def warehouse(self) -> Path:
        return self.root / "data" / "warehouse"

    def table(self, asset: str, key: str) -> pd.DataFrame:
        return pd.read_parquet(self.warehouse / asset / f"{key}.parquet")

    def has_table(self, asset: str, key: str) -> bool:
        return (self.warehouse / asset / f"{key}.parquet").exists()

    def temp_files(self) -> list[Path]:
        """Leftovers of interrupted writes (there must never be any)."""
        return [p for p in self.root.rglob("*") if ".tmp" in p.name or p.suffix == ".part"]

    def run(self, url: str) -> tuple[str, dg.ExecuteInProcessResult]:
        """Register `url` and materialize every stage; returns (partition key, result)."""
        from vid2learn_dagster.app.cli import add_videos
        from vid2learn_dagster.definitions import build_definitions

        (key,) = add_videos(self.instance, [url], source="test")
        job = build_definitions().resolve_job_def("process_video")
        result = job.execute_in_process(
            instance=self.instance, partition_key=key, raise_on_error=False
        )
        return key, result


# Plumbing tests run the language stages on SmolLM2-135M (ten times faster than the default
# Qwen2.5-Coder-1.5B, same code paths); tests that judge what the model writes pass
# `llm_model=""`, the real default (issue 9).
PLUMBING_LLM = "smollm2"


@contextlib.contextmanager
def project_at(root: Path, *, llm_model: str = PLUMBING_LLM) -> Iterator[Project]:
    """Point vid2learn at `root` with `llm_model` (environment restored afterwards)."""
    from vid2learn_dagster.storage.project import ensure_dagster_home

    root.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VID2LEARN_LLM_MODEL", llm_model)
        env.setenv("VID2LEARN_HOME", str(root))
        env.setenv("DAGSTER_HOME", str(root / ".dagster_home"))
        for var in ("VID2LEARN_DATA", "VID2LEARN_WAREHOUSE", "VID2LEARN_CATALOG"):
            env.delenv(var, raising=False)
        ensure_dagster_home()
        with dg.DagsterInstance.get() as instance:
            yield Project(root, instance)
    assert os.environ.get("VID2LEARN_HOME") != str(root)


def failure_messages(result: dg.ExecuteInProcessResult) -> str:
    """Every step failure's message and error text, for asserting on what users see."""
    texts = []
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            texts.append(f"{event.step_key}: {data.error.message if data.error else ''}")
            if data.user_failure_data and data.user_failure_data.description:
                texts.append(data.user_failure_data.description)
    return "\n".join(texts)
