"""The faithfulness measure (issue 12 item 6): a notebook sentence counts as supported when
its own section's speech and slides carry its content words; a false statement made of
words another section uses is not."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from vid2learn_dagster.quality.faithfulness import notebook_faithfulness, plain_sentences

CHUNKS = pd.DataFrame(
    {
        "chunk_id": [0, 1],
        "scene": [1, 2],
        "text": [
            "Binary search looks at the middle item and throws away half of the sorted list.",
            "A list comprehension builds the square of each number in one line.",
        ],
    }
)
VISUALS = pd.DataFrame(
    {
        "scene": [1, 2],
        "on_screen_text": ["Binary search\n- needs a sorted list", "List comprehensions"],
        "code": ["", "squares = [n * n for n in range(10)]"],
    }
)
QUESTION = {
    "question": "What does binary search look at?",
    "options": ["the middle item", "the first item", "the last item"],
    "correct": 0,
    "explanation": "Binary search looks at the middle item.",
    "time": 0.0,
}


def sections(binary_search_text: str, *, answer: int = 0, code: str = "") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "section": [1, 2],
            "chunk_ids": [[0], [1]],
            "text": [binary_search_text, "A comprehension builds squares in one line."],
            "code": [[code] if code else [], ["squares = [n * n for n in range(10)]"]],
            "questions": [[json.dumps({**QUESTION, "correct": answer})], []],
        }
    )


TRUE = [
    "Binary search looks at the middle item of a sorted list.",
    "It throws away half of the list at every look.",
    "**Key points**\n\n- Binary search needs a sorted list",
]
FALSE = [
    # Issue 12's false statement: every word is the lecture's, not this section's.
    "It uses a list comprehension to find the middle element and returns its square.",
    "Binary search builds the square of each number in one line.",
    "Binary search hashes every key into a bucket table.",
]


@pytest.mark.parametrize("sentence", TRUE)
def test_a_sentence_its_section_says_is_supported(sentence):
    measured = notebook_faithfulness(sections(sentence), CHUNKS, VISUALS)
    assert measured.unsupported_sentences == [] and measured.outcome().passed


@pytest.mark.parametrize("sentence", FALSE)
def test_a_false_sentence_fails_the_check(sentence):
    text = "Binary search looks at the middle item. " + sentence
    measured = notebook_faithfulness(sections(text), CHUNKS, VISUALS)
    assert measured.unsupported_sentences == [sentence]
    assert measured.supported_share == pytest.approx(2 / 3)
    assert not measured.outcome().passed


def test_a_quiz_answer_the_section_does_not_say_fails():
    assert notebook_faithfulness(sections(TRUE[0]), CHUNKS, VISUALS).answers == 1
    measured = notebook_faithfulness(sections(TRUE[0], answer=2), CHUNKS, VISUALS)
    assert measured.unsupported_answers == ["the last item"] and not measured.outcome().passed


def test_code_that_does_not_parse_fails():
    measured = notebook_faithfulness(sections(TRUE[0], code="def f(:\n  pass"), CHUNKS, VISUALS)
    assert measured.broken_code == ["def f(:"] and measured.code_cells == 2
    assert not measured.outcome().passed


def test_markdown_is_read_as_the_learner_reads_it():
    assert plain_sentences(
        "**Key points**\n\n- Items keep their order\n- An index\\_from zero"
    ) == [
        "Items keep their order",
        "An index_from zero",
    ]
