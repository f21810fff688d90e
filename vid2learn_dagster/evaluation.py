"""Error rates that score the pipeline against ground truth (tests and benchmarks).

Own Levenshtein implementation so the package needs no scoring dependency; the tests
check it against jiwer. Word error rate compares normalized words, so a transcript is
not penalised for casing or punctuation Whisper chose differently from the script.
Character error rate keeps whitespace by default because it also scores OCR'd code,
where indentation is part of the program.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from typing import Literal

# A number as written ("3.5", "1,000", "10:30"), or a word that may hold inner
# apostrophes ("don't", "o'clock"); everything else (punctuation, hyphens, quotes) separates.
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)+|[^\W_]+(?:'[^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})

Whitespace = Literal["exact", "collapse", "ignore"]


def normalize_words(text: str) -> list[str]:
    """Lowercase words without punctuation; inner apostrophes and numbers stay as written."""
    return _TOKEN.findall(text.translate(_APOSTROPHES).lower())


def edit_distance(reference: Sequence[Hashable], hypothesis: Sequence[Hashable]) -> int:
    """Levenshtein distance: fewest substitutions, deletions and insertions."""
    # A shared prefix and suffix cost nothing; trimming them keeps long, mostly
    # correct texts (OCR'd code) fast in pure Python.
    start = 0
    while start < min(len(reference), len(hypothesis)) and reference[start] == hypothesis[start]:
        start += 1
    end_ref, end_hyp = len(reference), len(hypothesis)
    while end_ref > start and end_hyp > start and reference[end_ref - 1] == hypothesis[end_hyp - 1]:
        end_ref -= 1
        end_hyp -= 1
    ref, hyp = reference[start:end_ref], hypothesis[start:end_hyp]
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def _rate(reference: Sequence[Hashable], hypothesis: Sequence[Hashable]) -> float:
    if not reference:
        # An error rate is relative to the reference; with nothing to say it is undefined.
        raise ValueError("the reference is empty: the error rate is undefined")
    return edit_distance(reference, hypothesis) / len(reference)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word edits needed to turn the hypothesis into the reference, per reference word."""
    return _rate(normalize_words(reference), normalize_words(hypothesis))


def _characters(text: str, whitespace: Whitespace, case_sensitive: bool) -> str:
    text = text.replace("\r\n", "\n")
    if not case_sensitive:
        text = text.lower()
    if whitespace == "collapse":
        return " ".join(text.split())
    if whitespace == "ignore":
        return "".join(text.split())
    if whitespace == "exact":
        return text
    raise ValueError(f"whitespace must be 'exact', 'collapse' or 'ignore', not {whitespace!r}")


def character_error_rate(
    reference: str,
    hypothesis: str,
    *,
    whitespace: Whitespace = "exact",
    case_sensitive: bool = True,
) -> float:
    """Character edits per reference character.

    `whitespace`: "exact" scores every space and newline (indentation of code);
    "collapse" treats any run of whitespace as one space (prose); "ignore" drops it.
    """
    return _rate(
        _characters(reference, whitespace, case_sensitive),
        _characters(hypothesis, whitespace, case_sensitive),
    )
