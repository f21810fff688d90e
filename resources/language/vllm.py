"""The `vllm` backend: what `auto` picks on a machine with CUDA and vLLM (`language.llm`)."""

from __future__ import annotations

import importlib.util
from typing import Any

from resources.language.base import Generation, LLMBackendMissing, Message


class VLLMEngine:
    """In-process `vllm.LLM` on a GPU: one batched `chat` over all prompts, JSON schemas
    enforced by guided decoding."""

    def __init__(self, source: str) -> None:
        """`source`: a GGUF file (the CPU default works offline; vLLM converts its
        tokenizer), a Hugging Face id or folder."""
        try:
            from vllm import LLM
        except ImportError as error:
            raise LLMBackendMissing(
                "vllm backend needs a GPU and: pip install 'vid2learn[gpu]'"
            ) from error
        self.llm = LLM(model=source, seed=0)

    def generate(
        self,
        conversations: list[list[Message]],
        max_new_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
    ) -> list[Generation]:
        from vllm import SamplingParams

        params = SamplingParams(
            temperature=temperature, max_tokens=max_new_tokens, **_vllm_structured(json_schema)
        )
        outputs = self.llm.chat(conversations, params, use_tqdm=False)
        return [
            Generation(
                o.outputs[0].text, len(o.prompt_token_ids or []), len(o.outputs[0].token_ids)
            )
            for o in outputs
        ]


def _vllm_structured(json_schema: dict[str, Any] | None) -> dict[str, Any]:
    """SamplingParams keywords for JSON-schema guided decoding across vLLM versions."""
    if json_schema is None:
        return {}
    try:  # vLLM >= 0.10.2
        from vllm.sampling_params import StructuredOutputsParams

        return {"structured_outputs": StructuredOutputsParams(json=json_schema)}
    except ImportError:
        from vllm.sampling_params import GuidedDecodingParams

        return {"guided_decoding": GuidedDecodingParams(json=json_schema)}


def has_gpu_vllm() -> bool:
    if importlib.util.find_spec("vllm") is None:
        return False
    import torch

    return torch.cuda.is_available()
