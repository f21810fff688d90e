"""Prompt templates (one file per task in `prompts/`) and the code versions built on them.

Templates are files, not Python strings, so a prompt edit is a reviewable text diff, and
`code_version` hashes a template's text: Dagster then marks exactly the assets that use
that prompt stale, and the same for a model or a generation setting. Placeholders use
`string.Template` syntax (`$text`) so prompts may contain JSON braces literally.

Every prompt is the same system message (`prompts/system.txt`) followed by one user
message: the task's instruction first, its data last (issue 9). A prefix identical across
prompts is what the backend computes once and keeps (CTranslate2's static prompt,
llama-server's prompt cache), so on 2 cores the instruction costs once per call rather
than once per prompt.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from string import Template
from typing import Any

_PACKAGE = __package__  # prompts/ sits beside this module
SYSTEM = "system"  # the template every prompt starts with


@cache
def load_prompt(name: str) -> str:
    """The template text of prompt `name` (file `prompts/<name>.txt`)."""
    path = resources.files(_PACKAGE) / "prompts" / f"{name}.txt"
    if not path.is_file():
        raise FileNotFoundError(f"no prompt template {name!r} at {path}")
    return path.read_text(encoding="utf-8").strip()


def render(name: str, **variables: object) -> list[dict[str, str]]:
    """The chat messages of prompt `name`: the shared system message, then the template
    with its placeholders filled (a missing one: KeyError)."""
    values = {key: str(value).strip() for key, value in variables.items()}
    return [
        {"role": "system", "content": load_prompt(SYSTEM)},
        {"role": "user", "content": Template(load_prompt(name)).substitute(values)},
    ]


def code_version(*, prompt_names: list[str], model_id: str, settings: dict[str, Any]) -> str:
    """A short stable hash of the prompts' text, the model and the generation settings."""
    digest = hashlib.sha256()
    for name in sorted(prompt_names):
        digest.update(f"{name}\0{load_prompt(name)}\0".encode())
    digest.update(model_id.encode() + b"\0")
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:12]
