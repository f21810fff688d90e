"""The lecture's terms and the moment each is defined, in the lecture's own words.

A term is what the lecture keeps naming: a two-word term said at least twice ("binary
search", "list comprehension"), or a word said at least twice that its slides also show.
Its definition is the first sentence that defines it ("A comprehension builds a new
list ..."; "The mean of a list is ..."); a two-word term without one is shown with the
first sentence that uses it, a word without one is left out. Nothing is written by a
model, so nothing in the glossary can be invented.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from vid2learn_dagster.language.grounding import STOPWORDS, sentences
from vid2learn_dagster.notebook.materials import TERM, SectionMaterial

MAX_TERMS = 10
MIN_MENTIONS = 2
# What follows a term where a sentence defines it.
_DEFINES = r"(?:is|are|means|refers to|builds|keeps|checks|returns|gives|makes|puts|cuts)"
# Slide words that name a slide's role, not a subject.
_GENERIC = """summary introduction conclusion overview agenda outline recap questions example
    examples thanks today lesson lecture video part slide"""
GENERIC = frozenset(_GENERIC.split())


@dataclass(frozen=True)
class Term:
    term: str
    definition: str  # the lecture's sentence
    time: float  # when it is said


def _content(word: str) -> bool:
    return len(word) > 3 and word not in STOPWORDS and word not in GENERIC


def _candidates(materials: Sequence[SectionMaterial]) -> list[str]:
    said = [w.lower() for m in materials for w in TERM.findall(m.speech)]
    shown = {
        w.lower() for m in materials for s in m.screens for w in TERM.findall(s.on_screen_text)
    }
    doubtful = frozenset().union(*(m.doubtful for m in materials))
    pairs = Counter(f"{a} {b}" for a, b in pairwise(said) if _content(a) and _content(b))
    singles = Counter(w for w in said if _content(w) and w in shown)
    terms = [p for p, n in pairs.most_common() if n >= MIN_MENTIONS]
    in_pairs = {w for p in terms for w in p.split()}
    terms += [w for w, n in singles.most_common() if n >= MIN_MENTIONS and w not in in_pairs]
    return [t for t in terms if not set(t.split()) & doubtful][:MAX_TERMS]


def _definition(term: str, materials: Sequence[SectionMaterial]) -> tuple[str, float] | None:
    """The first sentence that defines `term` (it is the sentence's subject, followed
    within a few words by "is", "means", "builds"...), with its time; for a two-word term
    the first sentence that uses it will do, a single word needs its definition ("a
    list" in "The mean of a list is ..." is not defined there)."""
    uses = [
        (sentence, start)
        for m in materials
        for start, text in m.spoken
        for sentence in sentences(text)
        if re.search(rf"\b{re.escape(term)}s?\b", sentence, re.IGNORECASE)
    ]
    defines = rf"^(?:a |an |the )?{re.escape(term)}s?\b(?:\W+\w+){{0,4}}?\s+{_DEFINES}\b"
    defined = next(((s, t) for s, t in uses if re.search(defines, s, re.IGNORECASE)), None)
    if defined is None and " " in term and uses:
        return uses[0]
    return defined


def subject_of(m: SectionMaterial) -> str:
    """A section's slide title when it names a subject ("Summary" names a role)."""
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", m.slide_title)}
    return m.slide_title if words and not words <= GENERIC else ""


def glossary(materials: Sequence[SectionMaterial]) -> list[Term]:
    """The lecture's terms in the order it defines them."""
    found = []
    for term in _candidates(materials):
        definition = _definition(term, materials)
        if definition is not None:
            found.append(Term(term, *definition))
    return sorted(found, key=lambda t: t.time)
