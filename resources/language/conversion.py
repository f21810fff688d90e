"""A GGUF language model converted once per machine into a CTranslate2 int8 model.

Why (issue 9): CTranslate2, the runtime faster-whisper already uses, picks its CPU kernels
at run time (AVX2 or AVX-512, Intel or AMD), so one pip wheel runs on every x86-64 CPU;
and on 2 cores it answered 8 lecture paragraphs 3.2x faster than llama.cpp's server
(47 s against 151 s, same Qwen2.5-Coder-1.5B, quiet machine, benchmark note on issue 9).
It cannot read GGUF, so the bundled GGUF is converted once into the model cache:
transformers dequantizes it (its GGUF loader), the weights go to a temporary safetensors
checkpoint (transformers refuses to `save_pretrained` a GGUF-loaded model), and
CTranslate2's converter quantizes that to int8. About 2 minutes and 6 GB of memory for the
1.5B model on 2 cores, so it runs in a child process (`python -m resources.language.conversion
GGUF OUT`) whose memory goes back to the system when it ends. The result lands in the
cache folder atomically (temp folder, then rename), with a stamp naming its source.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import dagster as dg

from resources.common.model_files import cache_dir
from vid2learn_dagster.common.errors import ModelLoadError

QUANTIZATION = "int8"
# Bump when the conversion changes what it writes: older conversions are then redone.
CONVERSION = 1
STAMP = "vid2learn-source.json"
_LOCK = threading.Lock()


def _source_stamp(gguf: Path) -> dict[str, object]:
    info = gguf.stat()
    return {"gguf": gguf.name, "bytes": info.st_size, "conversion": CONVERSION}


def converted_model(gguf: Path) -> Path:
    """The CTranslate2 folder for `gguf`, converting it on first use on this machine."""
    target = cache_dir() / "ctranslate2" / f"{gguf.stem}-{QUANTIZATION}"
    stamp = target / STAMP
    expected = _source_stamp(gguf)
    if stamp.is_file() and json.loads(stamp.read_text()) == expected:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # One conversion at a time, across threads and processes (two test workers, two CLIs).
    with _LOCK, (target.parent / f".{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.is_file() and json.loads(stamp.read_text()) == expected:
            return target
        dg.get_dagster_logger().info(
            f"converting {gguf.name} for CTranslate2 ({QUANTIZATION}), once per machine"
        )
        temp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
        try:
            done = subprocess.run(
                [sys.executable, "-m", "resources.language.conversion", str(gguf), str(temp)],
                capture_output=True,
                text=True,
                cwd=Path(__file__).resolve().parent.parent,
                env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE"),
                check=False,
            )
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                raise ModelLoadError(
                    f"converting {gguf.name} for CTranslate2 failed "
                    f"(exit {done.returncode}): {tail[0]}"
                )
            (temp / STAMP).write_text(json.dumps(expected))
            os.chmod(temp, 0o755)  # mkdtemp makes it private; a shared cache must be readable
            shutil.rmtree(target, ignore_errors=True)
            os.replace(temp, target)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
    return target


def convert(gguf: Path, out: Path) -> None:
    """Dequantize `gguf` and write it to `out` as a CTranslate2 model with its tokenizer."""
    import safetensors.torch
    import torch
    from ctranslate2.converters import TransformersConverter
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = {"gguf_file": gguf.name}
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, **source)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, dtype=torch.bfloat16, **source)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".checkpoint.") as checkpoint:
        weights = {name: tensor.contiguous() for name, tensor in model.state_dict().items()}
        if model.config.tie_word_embeddings:  # one tensor under two names: saved once
            weights.pop("lm_head.weight", None)
        safetensors.torch.save_file(
            weights, f"{checkpoint}/model.safetensors", metadata={"format": "pt"}
        )
        config = model.config
        del weights, model
        if hasattr(config, "quantization_config"):  # the weights saved are plain bf16
            delattr(config, "quantization_config")
        config.save_pretrained(checkpoint)
        tokenizer.save_pretrained(checkpoint)
        TransformersConverter(checkpoint, low_cpu_mem_usage=True).convert(
            str(out), quantization=QUANTIZATION, force=True
        )
    tokenizer.save_pretrained(out)  # tokenizer.json and the chat template, for the engine


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
