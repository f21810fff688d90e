"""The model resources (`vision`, `llm`, `embedder`) as this deployment configures them.

One factory used by both the Definitions and the assets' code versions, so the version
an asset records is computed from the very resources that run it. Settings come from the
environment at definition time (like the project paths), because a code version must be
known before any run; keys stay in the environment and are read when a model is called.
"""

from __future__ import annotations

import os

import dagster as dg

from resources.language.llm import LLMResource
from resources.topics.embedder import DEFAULT_MODEL, EmbedderResource
from resources.vision.reader import VisionResource
from vid2learn_dagster.common.settings import settings


def model_resources() -> dict[str, dg.ConfigurableResource]:
    """`vision`, `llm`, `embedder`: CPU defaults unless the environment names servers/models.

    - `VID2LEARN_LLM_BASE_URL` / `VID2LEARN_LLM_MODEL`: an OpenAI-compatible server (key
      in `OPENAI_API_KEY`) or a model for the local backend.
    - `VID2LEARN_VISION_BASE_URL` / `VID2LEARN_VISION_MODEL`: the same for the vision model
      (key in `VISION_API_KEY`, passed as a `dg.EnvVar`).
    - `VID2LEARN_EMBEDDER_MODEL`: a sentence-transformers model folder or hub id.
    """
    configured = settings()
    vision_key = (
        {"api_key": dg.EnvVar("VISION_API_KEY")} if os.environ.get("VISION_API_KEY") else {}
    )
    vision_model = {"vlm_model": configured.vision_model} if configured.vision_model else {}
    return {
        "vision": VisionResource(base_url=configured.vision_base_url, **vision_model, **vision_key),
        "llm": LLMResource(
            base_url=configured.llm_base_url,
            model=configured.llm_model,
            api_key_env="OPENAI_API_KEY",
        ),
        "embedder": EmbedderResource(model=configured.embedder_model or DEFAULT_MODEL),
    }
