"""How code is read aloud: the words a lecturer says for an abbreviation the screen shows.

A slide shows `ORDER BY orders DESC` and the lecturer says "descending"; Whisper, which
does not know the word from the slide, writes "the sending" (issue 11, every voice of the
SQL variant). The abbreviation itself sounds nothing like what was said, so the spoken
form is a term of its own, offered only where the code shows the abbreviation and taken
only when hearing confirms it (`term_correction`): a reading a lecturer did not use is
never written.
"""

from __future__ import annotations

# Keyword or identifier (lower case) -> the words said for it. Common readings in SQL,
# Python, JavaScript and C teaching; an abbreviation usually said as written ("def",
# "SQL") has no entry.
SPOKEN: dict[str, tuple[str, ...]] = {
    "desc": ("descending",),
    "asc": ("ascending",),
    "dict": ("dictionary",),
    "str": ("string",),
    "int": ("integer",),
    "bool": ("boolean",),
    "char": ("character",),
    "len": ("length",),
    "args": ("arguments",),
    "kwargs": ("keyword", "arguments"),
    "params": ("parameters",),
    "elif": ("else", "if"),
    "func": ("function",),
    "var": ("variable",),
    "idx": ("index",),
    "num": ("number",),
    "avg": ("average",),
    "sqrt": ("square", "root"),
    "max": ("maximum",),
    "min": ("minimum",),
    "env": ("environment",),
    "config": ("configuration",),
}


def spoken_form(word: str) -> tuple[str, ...] | None:
    """The words said for `word` as shown in code, if it is read otherwise than written."""
    return SPOKEN.get(word.lower())
