"""Formulas read off a slide, as display math: which lines are formulas, and their LaTeX."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Formula lines on a slide: math symbols only, with an equals sign (OCR of a rendered
# fraction yields symbol soup, which this rejects rather than printing it as a formula)...
_FORMULA = re.compile(r"^[\w\s+\-*/=^().,|\\{}\[\]<>≤≥±√∑πΣ·\u00d7÷…]+$")
# ...and none of a program's signs (an `=` alone is both math and code): comparisons,
# walrus, calls or attribute access on multi-letter names.
_PROGRAM = re.compile(r"==|:=|!=|[A-Za-z_]{3,}[.(]")


def formula_lines(on_screen_text: str, code: str) -> list[str]:
    """The lines of a slide's text below its title that are formulas (not code, not bullets)."""
    listing = set(code.splitlines())
    return [
        line.strip()
        for line in on_screen_text.splitlines()[1:]
        if "=" in line
        and line not in listing
        and not line.lstrip().startswith(("-", "*", "•"))
        and _FORMULA.match(line)
        and not _PROGRAM.search(line)
    ]


def formula_markdown(formulas: Iterable[str]) -> str:
    """Formulas as display math, each once."""
    blocks = []
    for formula in dict.fromkeys(formulas):
        latex = formula if "\\" in formula else _latex(formula)
        blocks.append(f"$$\n{latex}\n$$")
    return "\n\n".join(blocks)


def _latex(formula: str) -> str:
    """Plain-text math as LaTeX: `x1` -> `x_{1}`, `xn` -> `x_{n}` (index letters only, so
    words stay words), `...` -> `\\dots`, `*` -> `\\cdot`."""
    latex = re.sub(r"\b([A-Za-z])(\d+|[ijkmn])\b(?!\()", r"\1_{\2}", formula)
    return latex.replace("...", r"\dots").replace("…", r"\dots").replace("*", r"\cdot ")
