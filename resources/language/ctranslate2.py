"""The CPU default language backend: CTranslate2 running the bundled GGUF, converted to int8.

CTranslate2 dispatches its kernels at run time, so the pip wheel runs on any x86-64 CPU
(issue 9); `check_starts` proves it in a child process, because an in-process runtime
that died of an illegal instruction would take the pipeline with it. The proof is kept
beside the converted model per CPU (`proven_start`), so it costs once per machine, not
5 s of a 2-core pipeline run's CPU and a second copy of the model in memory every time
(issue 12's real-time budget).

Batching: one `generate_batch` over all prompts of a call (sorted by length into batches
of `batch_size`). The prompts of one task share their start (the system message and the
task's instruction, `prompts/system.txt` first): that common prefix goes in as the
*static prompt*, computed once per batch instead of once per prompt and cached by
CTranslate2 for later calls with the same prefix. The cache holds one state per distinct
prefix, and a prefix never reaches past the instruction into a prompt's own data, so it
stays a handful of entries however many videos run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import dagster as dg

from resources.language.base import Generation, LLMBackendMissing, Message, instruction
from resources.language.conversion import converted_model
from resources.language.cpu import cpu_identity, death_cause
from vid2learn_dagster.common.errors import ModelLoadError
from vid2learn_dagster.storage.files import atomic_path

COMPUTE_TYPE = "int8"
# The interpreter that runs the start check (tests put an emulated CPU in front of it).
PROBE_PYTHON = sys.executable
# Chat models end a turn with one of these; those the vocabulary has are stop tokens.
END_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "</s>")
_KERNEL_LINES = {
    "cpu": r"\] CPU: (.*)",
    "isa": r"Selected ISA: (\S+)",
    "gemm": r"GEMM_S8 backend: (\S+)",
}
_PROBE = """
import sys, ctranslate2
generator = ctranslate2.Generator(sys.argv[1], device="cpu", compute_type=sys.argv[2])
result = generator.generate_batch([sys.argv[3:]], max_length=2, include_prompt_in_result=False)
assert result[0].sequences_ids[0], "no token generated"
"""


class CTranslate2Failed(ModelLoadError):
    """CTranslate2 could not run the model on this machine; the first line says why."""


def check_starts(model_dir: Path, start_tokens: list[str], timeout_s: float = 300.0) -> str:
    """Generate two tokens in a child process; CTranslate2Failed naming how it died if not.

    Run once per process before the model loads in-process (a few seconds: the child
    loads the model from the page cache). Returns what CTranslate2 chose for this CPU,
    from its own log, e.g. "GenuineIntel (SSE4.1=true, AVX=true, AVX2=true, AVX512=false),
    ISA AVX2, int8 GEMM MKL"."""
    command = [PROBE_PYTHON, "-c", _PROBE, str(model_dir), COMPUTE_TYPE, *start_tokens]
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", CT2_VERBOSE="1")
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout_s)
    except subprocess.TimeoutExpired as error:
        raise CTranslate2Failed(f"ctranslate2 gave no token within {timeout_s:.0f} s") from error
    if done.returncode == 0:
        return _kernels(done.stderr)
    cause = death_cause("ctranslate2", done.returncode)
    if done.returncode > 0:
        cause += ": " + (done.stderr.strip().splitlines() or ["no output"])[-1]
    raise CTranslate2Failed(cause)


# Beside a converted model: the CPUs it was proven to start on, by `cpu_identity`.
STARTS_FILE = "started_on.json"


def proven_start(model_dir: Path, start_tokens: list[str]) -> str:
    """`check_starts`, unless this model already started on this CPU with this CTranslate2
    (then the kernels that check reported). The record is written atomically and only
    after a check passed; a failure is never recorded, so it is checked again next time."""
    record = model_dir / STARTS_FILE
    # The interpreter is part of what was proven (tests put an emulated CPU in front of it).
    key = f"{cpu_identity()} {PROBE_PYTHON} ctranslate2=={version('ctranslate2')} {COMPUTE_TYPE}"
    try:
        proven = json.loads(record.read_text())
    except (OSError, ValueError):
        proven = {}
    if not isinstance(proven, dict):
        proven = {}
    if isinstance(proven.get(key), str):
        return proven[key]
    kernels = check_starts(model_dir, start_tokens)
    _keep(record, {**proven, key: kernels})
    return kernels


def _keep(record: Path, proven: dict[str, str]) -> None:
    """Write the record atomically (`storage.files.atomic_path`); where it cannot be
    written (a read-only model cache others share), the check is simply not kept."""
    with contextlib.suppress(OSError), atomic_path(record) as temp:
        temp.write_text(json.dumps(proven, indent=1))


def _kernels(log: str) -> str:
    """The CPU, instruction set and int8 GEMM backend from CTranslate2's verbose log."""
    found = {}
    for label, pattern in _KERNEL_LINES.items():
        match = re.search(pattern, log)
        found[label] = match.group(1).strip() if match else "?"
    return f"{found['cpu']}, ISA {found['isa']}, int8 GEMM {found['gemm']}"


class CTranslate2Engine:
    """A GGUF model run by CTranslate2 on CPU (see the module docstring)."""

    def __init__(self, gguf: Path, threads: int, batch_size: int) -> None:
        try:
            import ctranslate2
            from transformers import AutoTokenizer
        except ImportError as error:
            raise LLMBackendMissing(
                "ctranslate2 backend needs ctranslate2, transformers, gguf and torch (to "
                "convert the model once): pip install 'vid2learn[ai]'"
            ) from error
        folder = converted_model(gguf)
        # CTranslate2's config.json beside the tokenizer names no model type, which
        # transformers takes for a Mistral tokenizer and warns about; the tokenizer is the
        # GGUF's own (same ids, checked), so the "fix" is declined explicitly.
        self.tokenizer = AutoTokenizer.from_pretrained(folder, fix_mistral_regex=False)
        self.kernels = proven_start(folder, self._text_tokens("def"))
        dg.get_dagster_logger().info(f"ctranslate2 runs {gguf.name} on {self.kernels}")
        self.generator = ctranslate2.Generator(
            str(folder), device="cpu", compute_type=COMPUTE_TYPE, intra_threads=threads
        )
        vocabulary = self.tokenizer.get_vocab()
        self.end_tokens = [t for t in END_TOKENS if t in vocabulary]
        if self.tokenizer.eos_token and self.tokenizer.eos_token not in self.end_tokens:
            self.end_tokens.append(self.tokenizer.eos_token)
        self.batch_size = batch_size
        self._cached_prefixes: set[tuple[str, ...]] = set()

    def _tokens(self, conversation: list[Message], *, generation_prompt: bool) -> list[str]:
        ids = self.tokenizer.apply_chat_template(
            conversation, add_generation_prompt=generation_prompt, tokenize=True
        )
        if hasattr(ids, "keys"):  # some transformers versions return an encoding
            ids = ids["input_ids"]
        return self.tokenizer.convert_ids_to_tokens(list(ids))

    def _text_tokens(self, text: str) -> list[str]:
        return self.tokenizer.convert_ids_to_tokens(
            self.tokenizer.encode(text, add_special_tokens=False)
        )

    def _instruction_tokens(self, conversation: list[Message]) -> list[str]:
        """The tokens of the conversation's instruction (`llm_base.instruction`): the start
        its task's prompts share. None without one, so a plain prompt never becomes a
        cached static prompt of its own."""
        messages = instruction(conversation)
        return self._tokens(messages, generation_prompt=False) if messages else []

    def generate(
        self,
        conversations: list[list[Message]],
        max_new_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
    ) -> list[Generation]:
        if not conversations:
            return []
        prompts = [self._tokens(c, generation_prompt=True) for c in conversations]
        # An answer asked for as JSON starts with its brace (no fence or preamble to parse).
        opening = self._text_tokens("{") if json_schema is not None else []
        prefix = _common_prefix([*prompts, self._instruction_tokens(conversations[0])])
        # Every prompt keeps at least one token of its own to start from.
        prefix = prefix[: min(len(p) for p in prompts) - 1]
        key = tuple(prefix)
        cached = key in self._cached_prefixes
        sampling: dict[str, Any] = (
            {"sampling_temperature": temperature, "sampling_topk": 50} if temperature > 0 else {}
        )
        results = self.generator.generate_batch(
            [p[len(prefix) :] + opening for p in prompts],
            max_batch_size=self.batch_size,
            max_length=max_new_tokens,
            static_prompt=prefix or None,
            include_prompt_in_result=False,
            end_token=self.end_tokens,
            **sampling,
        )
        if prefix:
            self._cached_prefixes.add(key)
        generations = []
        for index, (prompt, result) in enumerate(zip(prompts, results, strict=True)):
            ids = result.sequences_ids[0]
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            # The static prompt is computed once per call, or not at all once cached.
            reused = len(prefix) if (cached or index > 0) else 0
            generations.append(
                Generation(
                    ("{" if opening else "") + text,
                    len(prompt) + len(opening),
                    len(ids),
                    reused,
                )
            )
        return generations


def _common_prefix(sequences: list[list[str]]) -> list[str]:
    first = sequences[0]
    length = min(len(s) for s in sequences)
    for i in range(length):
        if any(s[i] != first[i] for s in sequences):
            return first[:i]
    return first[:length]
