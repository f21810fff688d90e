"""What the vision backends share: the error that names what to install, and the one chat
turn every vision-language model is sent for a frame."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from vid2learn_dagster.vision.vlm import VLM_PROMPT


class VisionUnavailableError(ImportError):
    """The chosen vision backend cannot run here; the message says what to install."""


def frame_messages(path: Path) -> list[dict[str, Any]]:  # content parts, not one string
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
