"""Code versions: a short hash of what determines a stage's output.

Dagster marks an asset stale when its code version differs from the one recorded at its
last materialization, and everything downstream with it (README, "Lineage"). A stage's
version hashes the source of its pure module(s) and its settings (model ids, thresholds,
config defaults). The source is hashed as a syntax tree without docstrings, so editing a
comment, a docstring or the formatting re-runs nothing, while any change of behaviour
does. LLM stages hash their prompts instead (`prompting.code_version`).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
from collections.abc import Mapping
from types import ModuleType

_LENGTH = 12


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return tree


def source_fingerprint(module: ModuleType) -> str:
    """The module's code as a normalized syntax tree (comments and docstrings dropped)."""
    tree = _without_docstrings(ast.parse(inspect.getsource(module)))
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def code_version(*modules: ModuleType, settings: Mapping[str, object] | None = None) -> str:
    """A stable hash of `modules`' code and `settings` (JSON-serializable values)."""
    digest = hashlib.sha256()
    for module in sorted(modules, key=lambda m: m.__name__):
        digest.update(f"{module.__name__}\0{source_fingerprint(module)}\0".encode())
    digest.update(json.dumps(dict(settings or {}), sort_keys=True, default=str).encode())
    return digest.hexdigest()[:_LENGTH]
