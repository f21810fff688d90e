"""Keep only what a language model wrote that the video supports.

The CPU model (SmolLM2-135M) rewrites faithfully about half the time; the rest it
comments on its own edit ("I added a comma..."), invents code, or loops (measured on
the sample lecture, see tests/test_ai_pipeline.py). Rejecting whole answers would waste
the good sentences, so the filter works per sentence: a sentence is kept when most of
its content words occur in the source (the speech and the screen). That also lets a
larger model's paraphrases through, since they reuse the source's terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from vid2learn_dagster.quality.evaluation import normalize_words

# Function words carry no facts, so they neither support nor contradict a sentence.
_STOPWORDS = """a about above after again all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers him his how i if in into is it its
    itself just let me more most my no nor not now of off on once only or other our out over
    own same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who
    whom why will with would you your yours we'll you'll it's that's there's let's"""
STOPWORDS = frozenset(_STOPWORDS.split())
# A sentence is supported when this share of its content words occur in the source.
MIN_SUPPORT = 0.7
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _stem(word: str) -> str:
    """Plural and possessive folded (`values` -> `value`), enough for matching paraphrase."""
    word = word.removesuffix("'s")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def content_words(text: str) -> list[str]:
    """Lowercase stems of the words that carry meaning (no function words, no 1-2 letters)."""
    return [_stem(w) for w in normalize_words(text) if len(w) > 2 and w not in STOPWORDS]


def vocabulary(*texts: str) -> frozenset[str]:
    return frozenset(w for text in texts for w in content_words(text))


def support(text: str, source: frozenset[str]) -> float:
    """Share of `text`'s content words found in `source` (1.0 for no content words)."""
    words = content_words(text)
    return sum(w in source for w in words) / len(words) if words else 1.0


def _unquote(sentence: str) -> str:
    """Drop a quote mark left unpaired where a quoted answer was split into sentences."""
    for mark in ('"', "“", "”"):
        if sentence.count(mark) % 2:
            sentence = sentence.strip(mark)
    return sentence.strip()


def sentences(text: str) -> list[str]:
    return [_unquote(s) for s in _SENTENCE.split(text) if _unquote(s)]


def grounded(text: str, source: frozenset[str], *, min_support: float = MIN_SUPPORT) -> str:
    """The sentences of `text` supported by `source`, joined by spaces.

    A sentence needs at least two content words ("Sure!" says nothing) and one not said
    before (small models loop).
    """
    kept: list[str] = []
    said: set[str] = set()
    for sentence in _complete(sentences(text)):
        words = set(content_words(sentence))
        new = not words <= said  # a repeat, or a fragment of one, adds nothing
        if len(words) >= 2 and new and support(sentence, source) >= min_support:
            kept.append(sentence)
            said |= words
    return " ".join(kept)


def _complete(parts: list[str]) -> list[str]:
    """Without a last sentence cut off by the token limit (no closing punctuation)."""
    if len(parts) > 1 and not parts[-1].rstrip("\"')”*").endswith((".", "!", "?", ":")):
        return parts[:-1]
    return parts


def looks_like_prose(text: str) -> bool:
    """Words, not noise: OCR of a rendered formula gives symbol soup, a truncated answer
    JSON fragments; both fail this (mostly letters and spaces, two real words at least)."""
    letters = sum(ch.isalpha() or ch.isspace() for ch in text)
    return letters >= 0.85 * len(text) and len(re.findall(r"[A-Za-z]{3,}", text)) >= 2


def identifiers_supported(code: str, source: Iterable[str]) -> bool:
    """Whether the names a code snippet uses (beyond Python's own) occur in the source.

    Catches invented helpers (`filter_even_humbers`) in code a model says the speaker
    described.
    """
    import builtins
    import keyword

    known = set(dir(builtins)) | set(keyword.kwlist)
    names = {n for n in re.findall(r"[A-Za-z_]\w*", code) if n not in known and len(n) > 1}
    words = {w.lower() for text in source for w in re.findall(r"[A-Za-z_]\w*", text)}
    return bool(names) and sum(n.lower() in words for n in names) / len(names) >= MIN_SUPPORT
