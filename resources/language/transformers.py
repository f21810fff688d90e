"""The `transformers` backend: the last CPU fallback of `auto` (resources.language.llm)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from resources.language.base import Generation, LLMBackendMissing, Message


class TransformersEngine:
    """The model dequantized into PyTorch (fp32), batched `generate` with left padding:
    slow and memory-hungry, but it runs wherever torch does."""

    def __init__(self, source: Path | str, threads: int, batch_size: int) -> None:
        """`source`: a GGUF file, or a Hugging Face id or folder."""
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as error:
            raise LLMBackendMissing(
                "transformers backend needs torch, transformers, gguf and accelerate: "
                "pip install 'vid2learn[ai]'"
            ) from error
        torch.set_num_threads(threads)
        gguf = isinstance(source, Path)
        folder, extra = (str(source.parent), {"gguf_file": source.name}) if gguf else (source, {})
        self.tokenizer = AutoTokenizer.from_pretrained(folder, **extra)
        self.tokenizer.padding_side = "left"  # decoder-only: new tokens follow the prompt
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **extra)
        self.model.eval()
        self.batch_size = batch_size

    def generate(
        self,
        conversations: list[list[Message]],
        max_new_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
    ) -> list[Generation]:
        texts = [
            self.tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
            for c in conversations
        ]
        # Similar lengths share a batch, so little compute goes to padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        results: dict[int, Generation] = {}
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            outputs = self._generate_batch([texts[i] for i in batch], max_new_tokens, temperature)
            results.update(zip(batch, outputs, strict=True))
        return [results[i] for i in range(len(texts))]

    def _generate_batch(
        self, texts: list[str], max_new_tokens: int, temperature: float
    ) -> list[Generation]:
        import torch
        from transformers import GenerationConfig

        encoded = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {}
        config = GenerationConfig(
            max_new_tokens=max_new_tokens,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=self.model.generation_config.eos_token_id,
            **sampling,
        )
        with torch.inference_mode():
            output = self.model.generate(**encoded, generation_config=config)
        new_tokens = output[:, encoded["input_ids"].shape[1] :]
        stops = set(torch.tensor(config.eos_token_id).flatten().tolist()) | {config.pad_token_id}
        generations = []
        for row, mask in zip(new_tokens.tolist(), encoded["attention_mask"], strict=True):
            length = next((i + 1 for i, token in enumerate(row) if token in stops), len(row))
            text = self.tokenizer.decode(row[:length], skip_special_tokens=True)
            generations.append(Generation(text, int(mask.sum()), length))
        return generations
