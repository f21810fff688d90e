"""Shared test fixtures: real media from ../shared/data, models loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("VID2LEARN_SHARED_DATA", REPO.parent / "shared" / "data"))

# One thread per native library: the CI machine has 2 cores and oversubscription
# (OpenMP spinning in CTranslate2/torch) makes everything several times slower.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Retries of network failures back off from this delay (5 s in production).
os.environ.setdefault("VID2LEARN_RETRY_DELAY_S", "0.2")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real media made by others (never copied into the repo)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test media not found at {SHARED_DATA}")
    return SHARED_DATA
