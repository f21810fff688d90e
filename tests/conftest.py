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


@pytest.fixture(scope="session")
def sample_lecture_run(tmp_path_factory):
    """The sample lecture through every stage, once per test session: (project, key, url).

    The lecture is served on loopback and downloaded by yt-dlp like any user's URL. The
    whole graph (ASR, diarization, OCR, LLM, embeddings) takes minutes on 2 cores, so the
    modules that assert on its outputs (pipeline, AI stages, UI) share this one run; the
    project's environment stays set for the session so the CLI and the webserver see it.
    """
    from tests.http_server import serve_directory
    from tests.pipeline import failure_messages, project_at
    from vid2learn_dagster.sample import SAMPLE_DIR

    root = tmp_path_factory.mktemp("sample-project")
    # The real default language model: the AI-stage tests judge what it writes (issue 9).
    with serve_directory(SAMPLE_DIR) as server, project_at(root, llm_model="") as project:
        url = server.url("lecture.mp4")
        key, result = project.run(url)
        assert result.success, failure_messages(result)
        yield project, key, url


@pytest.fixture(scope="session")
def lecture_variants(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """The bundled sample and every generated variant (issue 11): name -> (video, truth).

    Generated once per session (about 25 s on 2 cores): varied layouts, voices, speakers
    and encodings with exact ground truth, the guard against tuning to one sample.
    """
    import shutil

    from vid2learn_dagster.sample import ground_truth, sample_video
    from vid2learn_dagster.sample.variants import VARIANTS, generate_variant

    if shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None:
        pytest.skip("espeak-ng and ffmpeg make the lecture variants (apt install both)")
    folder = tmp_path_factory.mktemp("variants")
    variants = {"sample": (sample_video(), ground_truth())}
    for name in VARIANTS:
        variants[name] = (folder / f"{name}.mp4", generate_variant(name, folder))
    return variants
