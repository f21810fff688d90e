"""Error rates that score the pipeline against ground truth (tests and benchmarks).

The edit distances are jiwer's (the maintained tool, issue 10); what is compared is ours.
Word error rate compares normalized words, so a transcript is not penalised for casing,
punctuation or number formatting Whisper chose differently from the script: the script
spells "one hundred and twenty" where Whisper writes digits, so numbers are normalized the
way Whisper's own English normalizer does (the field's standard for scoring Whisper; the
`whisper-normalizer` package keeps it). Character error rate keeps
whitespace by default because it also scores OCR'd code, where indentation is part of the
program (jiwer's own CER would strip the text's ends).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from typing import TYPE_CHECKING, Literal

import jiwer

if TYPE_CHECKING:
    import pandas as pd
    from whisper_normalizer.english import EnglishNumberNormalizer

    from vid2learn_dagster.speech.diarization import Turn

# A number as written ("3.5", "1,000", "10:30"), or a word that may hold inner
# apostrophes ("don't", "o'clock"); everything else (punctuation, hyphens, quotes) separates.
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)+|[^\W_]+(?:'[^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# A comma between digits groups thousands ("1,000"); Whisper's normalizer drops it first so
# the number reads like the "1000" that "one thousand" becomes.
_THOUSANDS = re.compile(r"(?<=\d),(?=\d)")

Whitespace = Literal["exact", "collapse", "ignore"]


def normalize_words(text: str) -> list[str]:
    """Lowercase words without punctuation; inner apostrophes and numbers stay as written."""
    return _TOKEN.findall(text.translate(_APOSTROPHES).lower())


def _rate(reference: str, hypothesis: str, *, characters: bool) -> float:
    """Edits per reference word (words separated by single spaces) or character."""
    if not reference:
        # An error rate is relative to the reference; with nothing to say it is undefined.
        raise ValueError("the reference is empty: the error rate is undefined")
    # Only jiwer's splitting, none of its normalization: the text is prepared already.
    split = jiwer.ReduceToListOfListOfChars() if characters else jiwer.ReduceToListOfListOfWords()
    rate = jiwer.cer if characters else jiwer.wer
    return rate(reference, hypothesis, reference_transform=split, hypothesis_transform=split)


@cache
def _number_normalizer() -> EnglishNumberNormalizer:
    # Imported here: only scoring needs it, not the grounding that shares normalize_words.
    from whisper_normalizer.english import EnglishNumberNormalizer

    return EnglishNumberNormalizer()


def spoken_words(text: str) -> list[str]:
    """`normalize_words`, then English numbers as Whisper's normalizer writes them.

    Spelled numbers become digits ("one hundred and twenty" -> "120", "twenty twenty four"
    -> "2024", "second" -> "2nd"), on both sides of a comparison, so only a different
    number, not a different way of writing it, counts. The normalizer's own conventions
    come with it: a lone "1" reads "one" (it is as often a pronoun), and the "$", "%" and
    "-" it writes are dropped again like any punctuation.
    """
    words = " ".join(_THOUSANDS.sub("", word) for word in normalize_words(text))
    return _TOKEN.findall(_number_normalizer()(words))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word edits needed to turn the hypothesis into the reference, per reference word.

    The words compared are `spoken_words`: casing, punctuation and number formatting
    do not count.
    """
    return _rate(
        " ".join(spoken_words(reference)),
        " ".join(spoken_words(hypothesis)),
        characters=False,
    )


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
        characters=True,
    )


def voice_accuracy(words: pd.DataFrame, truth: list[Turn]) -> float:
    """Share of words inside an utterance (give or take 0.2 s) whose speaker label, mapped
    to the true voice it most often stands for, is that utterance's voice: how much of
    what each person said a reader sees under the right name."""
    pairs = []
    for word in words.itertuples(index=False):
        middle = (word.start + word.end) / 2
        said = next((t.speaker for t in truth if t.start - 0.2 <= middle <= t.end + 0.2), None)
        if said is not None:
            pairs.append((word.speaker, said))
    if not pairs:
        return 0.0
    mapping: dict[object, str] = {}
    for (label, said), _ in Counter(pairs).most_common():
        mapping.setdefault(label, said)
    return round(sum(mapping[label] == said for label, said in pairs) / len(pairs), 4)
