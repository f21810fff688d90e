"""Error rates: hand-computed values, on the words and characters we compare (the edit
distances are jiwer's)."""

from __future__ import annotations

import jiwer
import pytest

from vid2learn_dagster.quality.evaluation import (
    character_error_rate,
    normalize_words,
    spoken_words,
    word_error_rate,
)


def test_normalize_words_drops_case_and_punctuation_but_keeps_apostrophes_and_numbers() -> None:
    text = "Ask not — what YOUR country can do; don't ask “why”. Pi is 3.14, not 1,000!"
    assert normalize_words(text) == [
        "ask", "not", "what", "your", "country", "can", "do", "don't", "ask", "why",
        "pi", "is", "3.14", "not", "1,000",
    ]  # fmt: skip


def test_normalize_words_treats_curly_apostrophes_and_hyphens_like_speech() -> None:
    words = normalize_words("It\u2019s a well-known 'quote'")
    assert words == ["it's", "a", "well", "known", "quote"]


def test_character_error_rate_counts_substitutions_deletions_insertions() -> None:
    assert character_error_rate("kitten", "sitting") == pytest.approx(3 / 6)
    assert character_error_rate("abc", "") == 1.0
    assert character_error_rate("flaw", "lawn") == pytest.approx(2 / 4)
    assert character_error_rate("ab", "xxab") == 1.0  # insertions count against the reference


def test_word_error_rate_by_hand() -> None:
    reference = "ask not what your country can do for you"  # 9 words
    # one substitution (your->our), one deletion (can), one insertion (really)
    hypothesis = "Ask not what our country do for you, really."
    assert word_error_rate(reference, hypothesis) == pytest.approx(3 / 9)
    assert word_error_rate(reference, reference.upper() + "!") == 0.0


def test_character_error_rate_whitespace_modes_score_indentation_or_not() -> None:
    reference = "def f():\n    return 1\n"
    flattened = "def f():\nreturn 1\n"  # OCR lost the 4-space indentation
    assert character_error_rate(reference, flattened) == pytest.approx(4 / len(reference))
    assert character_error_rate(reference, flattened, whitespace="ignore") == 0.0
    assert character_error_rate(reference, "def f(): return 1", whitespace="collapse") == 0.0
    assert character_error_rate("ABC", "abc", case_sensitive=False) == 0.0
    assert character_error_rate("ABC", "abc") == 1.0


def test_empty_reference_is_an_error_not_a_number() -> None:
    with pytest.raises(ValueError, match="reference is empty"):
        word_error_rate("", "hello")
    with pytest.raises(ValueError, match="whitespace"):
        character_error_rate("a", "a", whitespace="strip")  # type: ignore[arg-type]


def test_word_error_rate_compares_normalized_words_not_jiwers_defaults() -> None:
    """jiwer alone would count "Americans," against "americans"; the script and the
    transcript differ only in casing and punctuation here."""
    assert (
        word_error_rate(
            "And so, my fellow Americans: ask not!", "and so my fellow americans ask not"
        )
        == 0.0
    )
    assert (
        jiwer.wer("And so, my fellow Americans: ask not!", "and so my fellow americans ask not") > 0
    )


def test_word_error_rate_does_not_count_how_a_number_is_written() -> None:
    """The script spells numbers out; Whisper writes digits. The same number is no error."""
    assert word_error_rate("It shows one hundred and twenty.", "It shows 120.") == 0.0
    assert (
        word_error_rate("twenty twenty four had one thousand users", "2024 had 1,000 users") == 0.0
    )
    assert word_error_rate("The factorial is one.", "The factorial is 1.") == 0.0
    assert word_error_rate("the second element", "the 2nd element") == 0.0
    assert word_error_rate("pi is three point one four", "Pi is 3.14") == 0.0


def test_word_error_rate_still_counts_a_different_number() -> None:
    reference = "printing factorial of five shows one hundred and twenty"  # 120 is one word
    assert word_error_rate(reference, "printing factorial of five shows 121") == pytest.approx(
        1 / 6
    )
    assert word_error_rate(reference, "printing factorial of 4 shows 120") == pytest.approx(1 / 6)
    # Whisper base's reading "100 and 20" is a different text, not a way of writing 120.
    assert word_error_rate(reference, "printing factorial of five shows 100 and 20") == (
        pytest.approx(3 / 6)
    )


def test_spoken_words_writes_numbers_as_whispers_normalizer_does() -> None:
    words = spoken_words("Twenty-one items, 50% off: five dollars! One of them, I don\u2019t know")
    assert words == ["21", "items", "50", "off", "5", "one", "of", "them", "i", "don't", "know"]
