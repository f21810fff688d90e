"""The words of a language (pyspellchecker's word lists, MIT): is this a word at all?

Two stages ask: a slide title is used only when its words are words (notebook titles,
issue 12), and Whisper writing one real word is a choice only hearing may overrule
(term correction, issue 11).
"""

from __future__ import annotations

from functools import cache


@cache
def known_words(language: str) -> frozenset[str]:
    """The language's lowercase word list; empty where pyspellchecker has none (then no
    word is known and only what was said counts)."""
    from spellchecker import SpellChecker  # 0.4 s to load the list: only when asked

    try:
        return frozenset(SpellChecker(language=language).word_frequency.dictionary)
    except ValueError:  # a language pyspellchecker does not ship
        return frozenset()
