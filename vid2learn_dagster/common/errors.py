"""Errors shared by stages that load local model files (Whisper, OCR, LLMs)."""

from __future__ import annotations


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message names the model or path and the cause.

    Raised at load time so a corrupt download or a wrong path fails with a clear
    message instead of a native library's error deep inside the first inference.
    """
