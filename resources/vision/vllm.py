"""The `vllm` vision backend: a vision-language model in-process on a GPU, all frames of a
video in one batched `LLM.chat` call with JSON-schema structured output."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from resources.vision.base import VisionUnavailableError, frame_messages
from vid2learn_dagster.vision.descriptions import VisualDescription
from vid2learn_dagster.vision.vlm import VLM_SCHEMA, parse_vlm_answer

VLLM_HINT = "pip install vllm  (extra: vid2learn[gpu]; needs a CUDA GPU)"
_LOCK = threading.Lock()


def has_cuda_vllm() -> bool:
    if importlib.util.find_spec("vllm") is None or importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def describe_frames(
    images: Sequence[Path],
    model: str,
    *,
    gpu_memory_utilization: float,
    max_model_len: int,
    max_tokens: int,
    backend: str,
) -> list[VisualDescription]:
    """All frames in one `LLM.chat` call: vLLM batches them on the GPU.

    Structured output keeps the answer to VLM_SCHEMA: `StructuredOutputsParams`
    (vLLM >= 0.11), `GuidedDecodingParams` before that (removed in 0.12).
    """
    with _LOCK:
        llm = _load(model, gpu_memory_utilization, max_model_len)
    from vllm import SamplingParams

    try:
        from vllm.sampling_params import StructuredOutputsParams

        constraint = {"structured_outputs": StructuredOutputsParams(json=VLM_SCHEMA)}
    except ImportError:
        from vllm.sampling_params import GuidedDecodingParams

        constraint = {"guided_decoding": GuidedDecodingParams(json=VLM_SCHEMA)}
    params = SamplingParams(temperature=0.0, max_tokens=max_tokens, **constraint)
    outputs = llm.chat([frame_messages(path) for path in images], params, use_tqdm=False)
    return [parse_vlm_answer(out.outputs[0].text, backend) for out in outputs]


@cache  # once per process: Dagster builds a fresh resource object for each run/step
def _load(model: str, gpu_memory_utilization: float, max_model_len: int) -> Any:
    try:
        from vllm import LLM
    except ImportError as error:
        raise VisionUnavailableError(f"{error}; install: {VLLM_HINT}") from error
    return LLM(
        model=model,
        gpu_memory_utilization=gpu_memory_utilization,
        max_model_len=max_model_len,
        limit_mm_per_prompt={"image": 1},
    )
