"""What a code cell does, line by line where the lecture says it: each spoken sentence that
names something in the code, beside the line it names (issue 12 item 1).

The explanation is the lecture's own words, so it cannot be wrong about the code in ways
the lecturer was not; a line nobody talks about gets no note. A sentence is matched to
the code line whose words it says most, code read as a speaker says it (`linear_search`
is "linear search", `n - 1` "n minus one"; comments are not code), each line explained once:
"This function walks through the list with enumerate" → `for index, item in
enumerate(items):`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from vid2learn_dagster.language.grounding import STOPWORDS, sentences

MAX_NOTES = 6
MIN_SHARE = 1 / 3
# Code read aloud: an operator or keyword is said as a word ("n minus one", "we define").
_SAID_AS = {
    "def": "define",
    "*": "multiply",
    "times": "multiply",
    "-": "minus",
    "+": "plus",
    "/": "divide",
    "//": "divide",
    "%": "remainder",
    "**": "power",
    "==": "equal",
    "<": "less",
    ">": "greater",
}
_NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_CODE_TOKEN = re.compile(r"[A-Za-z]+|\d+|==|//|\*\*|[-+*/%<>]")
_SPOKEN_TOKEN = re.compile(r"[A-Za-z]+|\d+")


def _stem(word: str) -> str:
    """Crude suffixes off ("printing" and "print", "divided" and "divide" meet)."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2 and not word.endswith("ss"):
            word = word[: -len(suffix)] + keep
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _words(tokens: list[str]) -> set[str]:
    """Tokens as the words a speaker would say, stemmed; function words dropped."""
    said = set()
    for token in tokens:
        word = token.lower()
        if word.isdigit():
            word = _NUMBERS[int(word)] if int(word) < len(_NUMBERS) else word
        word = _SAID_AS.get(word, word)
        if word not in STOPWORDS and (len(word) > 2 or word.isdigit()):
            said.add(_stem(word))
    return said


def _names(line: str) -> set[str]:
    """What a code line says (its comment left out; `linear_search` is two words)."""
    return _words(_CODE_TOKEN.findall(line.split("#", 1)[0].replace("_", " ")))


def code_notes(code: str, spoken: Sequence[str]) -> list[tuple[str, str]]:
    """(code line, the sentence that explains it) pairs in code order.

    Pairs are taken best first, by the share of the line's words the sentence says, then
    by how few other sentences say them; each line and each sentence once; and only where
    the sentence says a third of the line's words and more than everyday words shared
    with other sentences: "an item" alone does not explain `if item == target:`.
    """
    lines = [line.rstrip() for line in code.splitlines() if line.strip()]
    named = [_names(line) for line in lines]
    said = [s for text in spoken for s in sentences(text)]
    words = [_words(_SPOKEN_TOKEN.findall(s)) for s in said]
    # A word few sentences say is the more telling ("enumerate" against "item").
    rarity = {w: 1 / sum(w in ws for ws in words) for ws in words for w in ws}
    scored = sorted(
        (
            (len(names & ws) / len(names), sum(rarity[w] for w in names & ws), -i, -j)
            for i, names in enumerate(named)
            if names
            for j, ws in enumerate(words)
        ),
        reverse=True,
    )
    best: dict[int, str] = {}
    used: set[int] = set()
    for share, telling, i, j in scored:
        if share >= MIN_SHARE and telling >= 1 and -i not in best and -j not in used:
            best[-i] = said[-j]
            used.add(-j)
    return [(lines[i].strip(), best[i]) for i in sorted(best)][:MAX_NOTES]


def walkthrough_markdown(notes: Sequence[tuple[str, str]], escape: Callable[[str], str]) -> str:
    """The notes as a list under "What the code does"; "" when there are none."""
    if not notes:
        return ""
    items = "\n".join(f"- `{line}`: {escape(sentence)}" for line, sentence in notes)
    return f"**What the code does**\n\n{items}"
