"""`.venv/bin/vid2learn ui` works without the venv on PATH (issue 9, item 4): it starts
the `dagster` of its own environment, not whatever PATH finds (or nothing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from vid2learn_dagster.app.cli import dagster_executable

VENV_BIN = Path(sys.executable).parent


def test_dagster_is_found_beside_the_interpreter(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert dagster_executable() == str(VENV_BIN / "dagster")


def test_ui_starts_dagster_dev_with_the_venv_off_path(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    env = dict(
        os.environ,
        PATH="/usr/bin:/bin",
        VID2LEARN_HOME=str(project),
        DAGSTER_HOME=str(project / ".dg"),
    )
    ui = subprocess.Popen(
        [str(VENV_BIN / "vid2learn"), "ui", "--port", "0"],
        env=env,
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        first = ui.stdout.readline().split()
        assert first[:2] == [str(VENV_BIN / "dagster"), "dev"]
        # The CLI becomes that process (exec): its command line turns into `dagster dev`.
        cmdline = Path(f"/proc/{ui.pid}/cmdline")
        deadline = time.monotonic() + 30
        while b"/dagster\0dev\0" not in cmdline.read_bytes():
            assert ui.poll() is None, "exec failed: dagster was not found"
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        try:
            ui.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(ui.pid, signal.SIGKILL)
            ui.wait()
