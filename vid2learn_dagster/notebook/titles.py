"""Section titles a learner can trust: the slide's own title when it is words, else one
written from the section's speech; never OCR noise or screen furniture.

Issue 12 saw sections titled "MIHNINE BE MYMNXIADSNITI" (OCR of a decorative cover font),
"u ¥" and "| I |", and slide text holding a screen recorder's watermark ("RECORDED WITH").
A title is used only when its words are words: in the lecture's own vocabulary (what was
said) or in a dictionary of the video's language (pyspellchecker's word lists, MIT). Text
on (nearly) every slide of a video is furniture (a watermark, a course band, a page
footer), not content.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from itertools import pairwise

from rapidfuzz import fuzz

from vid2learn_dagster.common.dictionary import known_words
from vid2learn_dagster.language.grounding import STOPWORDS

# Furniture: a line on at least this share of a video's slides, when it has enough slides
# to tell (with two, a repeated line may be a title the lecturer kept on purpose).
FURNITURE_SHARE = 0.8
FURNITURE_MIN_SLIDES = 3
# A title's words that must be real words, and the shortest real word it must hold.
MIN_KNOWN_SHARE = 0.75
MIN_WORD_LETTERS = 3
# Slide titles as OCR reads them on two keyframes of one slide may differ by a letter.
SAME_TITLE_RATIO = 90
SPEECH_TITLE_WORDS = 4
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# Letters, digits and the punctuation titles use ("Example: the mean", "Why use it?").
_TITLE_CHARACTERS = re.compile(r"[\w\s:;,.!?'\u2019()&/+-]")


def _normalized_line(line: str) -> str:
    return " ".join(_WORD.findall(line.lower()))


def screen_furniture(screen_texts: Sequence[str]) -> frozenset[str]:
    """Lines (normalized) shown on nearly every slide of the video: not lecture content."""
    if len(screen_texts) < FURNITURE_MIN_SLIDES:
        return frozenset()
    counts = Counter(
        line for text in screen_texts for line in {_normalized_line(x) for x in text.splitlines()}
    )
    least = FURNITURE_SHARE * len(screen_texts)
    return frozenset(line for line, n in counts.items() if line and n >= least)


def without_furniture(text: str, furniture: Collection[str]) -> str:
    """The slide's text minus its furniture lines."""
    return "\n".join(x for x in text.splitlines() if _normalized_line(x) not in furniture)


def readable_title(line: str, said: Collection[str], language: str = "en") -> bool:
    """Whether an on-screen line reads as a title: mostly title characters, one real word
    of three letters at least, and most of its words said in the lecture or in the
    language's dictionary (only what was said counts where there is no dictionary)."""
    stripped = line.strip()
    if not stripped:
        return False
    plain = len(_TITLE_CHARACTERS.findall(stripped))
    words = [w.lower() for w in _WORD.findall(stripped)]
    if plain < 0.9 * len(stripped) or not any(len(w) >= MIN_WORD_LETTERS for w in words):
        return False
    dictionary = known_words(language)
    known = [w in said or w in dictionary or w.rstrip("s") in dictionary for w in words]
    return sum(known) >= MIN_KNOWN_SHARE * len(words)


def said_words(texts: Iterable[str]) -> frozenset[str]:
    """The lowercase words of what was said, for `readable_title`."""
    return frozenset(w.lower() for text in texts for w in _WORD.findall(text))


def same_title(a: str, b: str) -> bool:
    """One slide title read twice (OCR may differ by a character), ignoring case."""
    x, y = _normalized_line(a), _normalized_line(b)
    return bool(x) and fuzz.ratio(x, y) >= SAME_TITLE_RATIO


def speech_title(speech: str) -> str:
    """A title from what the section says: its most repeated two-word term ("binary
    search"), else its most repeated word, else its first words; capitalized."""
    words = _WORD.findall(speech)
    content = [
        (i, w.lower()) for i, w in enumerate(words) if w.lower() not in STOPWORDS and len(w) > 2
    ]
    pairs = Counter(f"{a} {b}" for (i, a), (j, b) in pairwise(content) if j == i + 1)
    singles = Counter(w for _, w in content)
    for counts in (pairs, singles):
        if counts and counts.most_common(1)[0][1] >= 2:
            # most_common keeps first-seen order among ties: the earliest term wins.
            return counts.most_common(1)[0][0].capitalize()
    return " ".join(words[:SPEECH_TITLE_WORDS]).capitalize()
