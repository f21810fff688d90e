"""How words the screen shows are said: the spoken form of a code abbreviation, and the
singular of a plural noun.

A slide shows `ORDER BY orders DESC` and the lecturer says "descending"; the code says
`words` and the lecturer says "each word appears". Whisper, which does not see the slide,
writes "the sending" and "each world" (issue 11's variants). The shown word itself is
not what was said, so its spoken form is a term of its own, offered only where the
screen shows the word and taken only when hearing confirms it (`term_correction`): a
form the lecturer did not use is never written.
"""

from __future__ import annotations

# Rails' inflector rules: `inflection` loads in a millisecond, where `inflect` took
# seconds (typeguard) in every process that corrects a transcript.
import inflection

# Code keyword or identifier (lower case) -> the words said for it. Common readings in
# SQL, Python, JavaScript and C teaching; an abbreviation usually said as written
# ("def", "SQL") has no entry.
SPOKEN_CODE: dict[str, tuple[str, ...]] = {
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


def code_reading(word: str) -> tuple[str, ...] | None:
    """The words said for `word` as code shows it, if it is read otherwise than written."""
    return SPOKEN_CODE.get(word.lower())


def singular(word: str) -> str | None:
    """The singular of a plural noun as shown ("words" -> "word", "Keys" -> "key"), said
    when one of them is meant. Short words ("is", "has") and capitalised keywords and
    acronyms ("SELECT", "SQL") have none. Only this way round: a plural of any shown word
    ("froms", "thens", "pythons" on the sample) is seldom a word at all."""
    lower = word.lower()
    if len(word) < 4 or not (word.islower() or word.istitle()):
        return None
    one = inflection.singularize(lower)
    return one if one != lower else None
