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
