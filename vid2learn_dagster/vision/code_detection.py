"""Whether text is program code, and in which language: the signs code shows on screen."""

from __future__ import annotations

import re
from collections.abc import Sequence

from vid2learn_dagster.vision.lines import TextLine

_CODE_SIGNS = re.compile(
    r"[{}\[\];]|\w\(|\(\)|::|->|=>|:=|[=!<>]=|\+\+|&&|\|\||//|/\*|^\s*#|^\s*--\s"
    r"|\w\s*=\s*\S|\w\.\w+\(|^\s*(def|class|if|elif|else|for|while|with|try|except)\b.*:\s*$"
    r"|^\s*(import|from|package|func|var|let|const|return|module|struct)\s+\w"
)
_LANGUAGES: dict[str, re.Pattern[str]] = {
    "Python": re.compile(
        r"^\s*(def \w+\(|class \w+.*:$|from \w+ import|elif |print\(|for \w+ in .*:$)"
        r"|self\.|\brange\(|\[.+ for \w+ in .+\]|\.append\("
    ),
    "Go": re.compile(r"^\s*(func |package \w+|type \w+ struct)|:= "),
    "Haskell": re.compile(r"^\s*(module \w+ where|\w+ :: |import [\w.]+ \()"),
    "JavaScript": re.compile(r"\b(const|let|function)\b .*[=(]|=> |console\.log"),
    "Rust": re.compile(r"^\s*(fn \w+|let mut |use \w+::|impl )|println!"),
    "C": re.compile(r"^\s*#include|\b(int|void|char) \w+\(|printf\("),
    "Java": re.compile(r"\b(public|private) (static )?\w+|System\.out"),
    "SQL": re.compile(r"^\s*(SELECT|FROM|WHERE|INSERT|CREATE TABLE)\b", re.IGNORECASE),
}


def looks_like_code(text: str) -> bool:
    """One line with a sign of program text: brackets, operators, calls, keywords."""
    return bool(_CODE_SIGNS.search(text))


def code_language(code: str) -> str:
    """The language most lines look like, or "" when none stands out."""
    lines = code.splitlines()
    scores = {name: sum(bool(p.search(line)) for line in lines) for name, p in _LANGUAGES.items()}
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] else ""


def is_code_block(lines: Sequence[TextLine], in_panel: bool) -> bool:
    """Code when most lines look like it (a third in a panel of its own background,
    where comments and blank-ish lines are common)."""
    if not lines:
        return False
    share = sum(looks_like_code(line.text) for line in lines) / len(lines)
    return share >= (0.34 if in_panel else 0.5) and (in_panel or len(lines) >= 2)
