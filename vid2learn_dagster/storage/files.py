"""Atomic file writes: a reader never sees a half-written file.

Every stage that writes a file (video, audio, keyframe, notebook, Parquet) writes to a
temporary name in the destination folder and renames it into place, so a crash or a
failed partition leaves either the previous file or nothing (DEVELOPERS.md, Standards).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath


def temporary_sibling(final: Path) -> Path:
    """A unique hidden name beside `final` (same folder, so the rename is atomic)."""
    return final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp{final.suffix}")


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success rename it to `final`, else remove it."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(final)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_parquet(table: pa.Table, path: UPath) -> None:
    """Write a Parquet file at a local path or fsspec URL without a partial file ever showing.

    Local files go through `atomic_path`; object stores publish an object only when its
    upload completes, which gives the same promise.
    """
    if path.protocol in ("", "file", "local"):
        with atomic_path(Path(path.path)) as tmp:
            pq.write_table(table, str(tmp))
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            pq.write_table(table, f)
