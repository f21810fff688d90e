"""Code versions: a short hash of what determines a stage's output.

Dagster marks an asset stale when its code version differs from the one recorded at its
last materialization, and everything downstream with it (README, "Lineage"). A stage's
version hashes the source of its pure module(s), of every stage-logic module they use
(found through their imports, so an edit to a shared helper such as `grounding` re-runs
every stage built on it; issue 10), and its settings (model ids, thresholds, config
defaults). The source is hashed as a syntax tree without docstrings, so editing a comment,
a docstring or the formatting re-runs nothing, while any change of behaviour does. Model
stages add their prompts, model and generation settings (`prompting.code_version`).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import sys
from collections.abc import Iterable, Mapping
from types import ModuleType

_LENGTH = 12
_PACKAGE = "vid2learn_dagster"


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


def _uses(module: ModuleType) -> set[ModuleType]:
    """The stage-logic modules `module` imports, or imports names from."""
    used = set()
    for value in vars(module).values():
        name = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", "")
        if isinstance(name, str) and name.startswith(f"{_PACKAGE}.") and name in sys.modules:
            used.add(sys.modules[name])
    return used


def with_dependencies(modules: Iterable[ModuleType]) -> set[ModuleType]:
    """`modules` and every stage-logic module they use, directly or not."""
    found: set[ModuleType] = set()
    todo = list(modules)
    while todo:
        module = todo.pop()
        if module not in found:
            found.add(module)
            todo.extend(_uses(module) - found)
    return found


def code_version(*modules: ModuleType, settings: Mapping[str, object] | None = None) -> str:
    """A stable hash of the code of `modules` and the stage logic they use, and of
    `settings` (JSON-serializable values)."""
    digest = hashlib.sha256()
    for module in sorted(with_dependencies(modules), key=lambda m: m.__name__):
        digest.update(f"{module.__name__}\0{source_fingerprint(module)}\0".encode())
    digest.update(json.dumps(dict(settings or {}), sort_keys=True, default=str).encode())
    return digest.hexdigest()[:_LENGTH]
