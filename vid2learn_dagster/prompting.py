"""Prompt templates (one file per task in `prompts/`) and the code versions built on them.

Templates are files, not Python strings, so a prompt edit is a reviewable text diff, and
`code_version` hashes a template's text: Dagster then marks exactly the assets that use
that prompt stale, and the same for a model or a generation setting. Placeholders use
`string.Template` syntax (`$text`) so prompts may contain JSON braces literally.

A template is one user message, or a `[system]` part (the instruction) followed by a
`[user]` part (the data). SmolLM2-135M rewrote 4 of 4 transcripts with the instruction as
a system message, but echoed it back for 2 of 4 when it followed the data in the user
message; for the notebook tasks the reverse held (it echoed the data), so each template
keeps the form that worked. Without a system part, a template ends with its instruction
paragraph, which is what `resources.llm` strips when the model repeats it.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from importlib import resources
from string import Template
from typing import Any

_PACKAGE = "vid2learn_dagster"


@cache
def load_prompt(name: str) -> str:
    """The template text of prompt `name` (file `prompts/<name>.txt`)."""
    path = resources.files(_PACKAGE) / "prompts" / f"{name}.txt"
    if not path.is_file():
        raise FileNotFoundError(f"no prompt template {name!r} at {path}")
    return path.read_text(encoding="utf-8").strip()


def render(name: str, **variables: object) -> list[dict[str, str]]:
    """The chat messages of prompt `name` with placeholders filled (missing: KeyError)."""
    values = {key: str(value).strip() for key, value in variables.items()}
    parts = re.split(r"^\[(system|user)\]\s*$", load_prompt(name), flags=re.MULTILINE)
    roles_and_texts = (
        zip(parts[1::2], parts[2::2], strict=True) if len(parts) > 1 else [("user", parts[0])]
    )
    return [
        {"role": role, "content": Template(text.strip()).substitute(values)}
        for role, text in roles_and_texts
    ]


def code_version(*, prompt_names: list[str], model_id: str, settings: dict[str, Any]) -> str:
    """A short stable hash of the prompts' text, the model and the generation settings."""
    digest = hashlib.sha256()
    for name in sorted(prompt_names):
        digest.update(f"{name}\0{load_prompt(name)}\0".encode())
    digest.update(model_id.encode() + b"\0")
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:12]
