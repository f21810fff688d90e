"""Model files that ship split across PyPI packages, joined once per machine into a cache.

PyPI caps a file's size, so larger models (the default language model, whisper base) come
as numbered parts in several wheels. `assemble` concatenates the parts in order into one
file under the model cache, checks the result against the sha256 the project pinned, and
writes it atomically (temp file, then rename), so an interrupted join never leaves a file
that looks complete. Later calls find the joined file and a stamp recording its size and
mtime and return at once; nothing is ever fetched from a model hub.

The cache folder is `$VID2LEARN_MODEL_CACHE`, else `$XDG_CACHE_HOME/vid2learn/models`, else
`~/.cache/vid2learn/models`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vid2learn_dagster.common.errors import ModelLoadError
from vid2learn_dagster.common.settings import settings

_CHUNK = 8 << 20
_LOCK = threading.Lock()


@dataclass(frozen=True)
class SplitModel:
    """One file shipped as parts: where each part lives and what the whole must hash to.

    `parts` are (package, path inside the package) in join order; `install` is the pip
    command that brings them, named in the error when one is missing.
    """

    name: str
    filename: str
    parts: Sequence[tuple[str, str]]
    sha256: str
    install: str


def package_dir(name: str) -> Path | None:
    """A package's folder found without importing it (its __init__ may pull heavy deps)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def cache_dir() -> Path:
    """Where joined models live (see the module docstring); created on demand."""
    configured = settings().model_cache
    if configured:
        return configured.expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vid2learn" / "models"


def part_paths(model: SplitModel) -> list[Path]:
    """The installed parts in join order; ModelLoadError naming the install command."""
    paths = []
    for package, relative in model.parts:
        folder = package_dir(package)
        path = folder / relative if folder else None
        if path is None or not path.is_file():
            raise ModelLoadError(f"{model.name}: part {package} is not installed: {model.install}")
        paths.append(path)
    return paths


def installed(model: SplitModel) -> bool:
    try:
        part_paths(model)
    except ModelLoadError:
        return False
    return True


def _stamp(path: Path) -> str:
    info = path.stat()
    return f"{info.st_size}:{info.st_mtime_ns}"


def assemble(model: SplitModel, folder: Path | None = None) -> Path:
    """The joined model file, joining and verifying it on first use on this machine."""
    target = (folder or cache_dir()) / model.name / model.filename
    stamp = target.with_name(target.name + ".sha256")
    with _LOCK:
        if target.is_file() and stamp.is_file():
            recorded = stamp.read_text().split()
            if recorded == [model.sha256, _stamp(target)]:
                return target
        parts = part_paths(model)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{model.filename}.")
        try:
            with os.fdopen(handle, "wb") as out:
                for part in parts:
                    with part.open("rb") as source:
                        while block := source.read(_CHUNK):
                            digest.update(block)
                            out.write(block)
            os.chmod(temp, 0o644)  # mkstemp makes it private; a shared cache must be readable
            if digest.hexdigest() != model.sha256:
                raise ModelLoadError(
                    f"{model.name}: joined parts hash to {digest.hexdigest()}, expected "
                    f"{model.sha256} (a part is damaged or of another version: {model.install})"
                )
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        stamp.write_text(f"{model.sha256} {_stamp(target)}\n")
        return target


def copy_beside(source: Path, target_dir: Path) -> Path:
    """Copy a small companion file (config, tokenizer) next to a joined model, atomically."""
    target = target_dir / source.name
    if not target.is_file() or target.stat().st_size != source.stat().st_size:
        # A temp name of its own: two processes may join the same model at once.
        handle, temp = tempfile.mkstemp(dir=target_dir, prefix=f".{target.name}.")
        os.close(handle)
        try:
            shutil.copyfile(source, temp)
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    return target
