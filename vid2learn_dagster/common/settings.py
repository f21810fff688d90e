"""Every `VID2LEARN_*` environment variable in one place, typed (pydantic-settings).

Read when asked (`settings()`), never at import: a test or a CLI that sets a variable
sees it take effect without reloading modules. README, "Configuration", lists them.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """`VID2LEARN_<FIELD>`, e.g. `VID2LEARN_GPU_POOL_LIMIT=2`; unset means the default."""

    model_config = SettingsConfigDict(env_prefix="VID2LEARN_", extra="ignore")

    # Project folders (vid2learn_dagster.storage.project); None = derived from the project root.
    home: Path | None = None
    data: Path | None = None
    warehouse: str | None = None  # any fsspec URL (s3://...)
    url_list: Path | None = None
    playlists: Path | None = None
    catalog: Path | None = None
    # Orchestration.
    executor: str = ""  # "", default, multiprocess, in_process, celery, k8s
    youtube_pool_limit: int = 2  # parallel downloads from video sites
    gpu_pool_limit: int = 1  # model-heavy steps at once
    playlist_cron: str = "0 4 * * *"
    retry_delay_s: float = 5.0  # first delay of the model stages' retries
    # Fetching playlists and videos.
    playlist_sleep_s: float = 2.0
    cookies_file: str = ""
    # Models.
    model_cache: Path | None = None  # None = $XDG_CACHE_HOME or ~/.cache, /vid2learn/models
    llama_server: Path | None = None  # None = the venv's own build
    llm_base_url: str = ""
    llm_model: str = ""
    vision_base_url: str = ""
    vision_model: str = ""
    embedder_model: str = ""


def settings() -> Settings:
    """The environment's settings as of now."""
    return Settings()
