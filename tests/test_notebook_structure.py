"""The notebook's structure comes from the lecture itself (issue 12): one section per slide
title, topic shifts where slides are few, titles that are words, no screen furniture, and
quizzes that never rest on a word the transcript doubts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from vid2learn_dagster.notebook.materials import Screen, SectionMaterial, section_materials
from vid2learn_dagster.notebook.quiz import cloze_question, model_question
from vid2learn_dagster.notebook.titles import (
    readable_title,
    said_words,
    screen_furniture,
    speech_title,
)
from vid2learn_dagster.notebook.walkthrough import code_notes

NO_WORDS = pd.DataFrame({"start": [], "end": [], "word": [], "probability": []})
NO_CORRECTIONS = pd.DataFrame({"start": [], "end": [], "heard": [], "corrected": []})


def lecture(
    scenes: list[int],
    topics: list[int],
    screens: dict[int, str],
    chunk_seconds: float = 10.0,
    **tables,
):
    """Section materials for chunks of `chunk_seconds` on the given scenes and topics."""
    n = len(scenes)
    chunks = pd.DataFrame(
        {
            "chunk_id": range(n),
            "scene": scenes,
            "start": [chunk_seconds * i for i in range(n)],
            "end": [chunk_seconds * (i + 1) - 1 for i in range(n)],
            "text": [f"we talk about binary search part {i}" for i in range(n)],
            "speaker": ["lecturer"] * n,
            "image_path": [None] * n,
        }
    )
    texts = pd.DataFrame({"chunk_id": range(n), "text": chunks["text"]})
    by_topic: dict[int, list[int]] = {}
    for chunk, topic in enumerate(topics):
        by_topic.setdefault(topic, []).append(chunk)
    topic_table = pd.DataFrame({"topic_id": list(by_topic), "chunk_ids": list(by_topic.values())})
    visuals = pd.DataFrame(
        {
            "scene": list(screens),
            "on_screen_text": list(screens.values()),
            "code": [""] * len(screens),
            "description": [""] * len(screens),
        }
    )
    return section_materials(
        topic_table,
        chunks,
        texts,
        texts,
        visuals,
        tables.get("words", NO_WORDS),
        tables.get("corrections", NO_CORRECTIONS),
    )


def test_every_slide_title_is_a_section_even_when_the_topic_continues():
    sections = lecture([1, 2, 3], [0, 0, 0], {1: "Linear search", 2: "Binary search", 3: "Summary"})
    assert [s.title for s in sections] == ["Linear search", "Binary search", "Summary"]


def test_slides_under_one_title_are_one_section():
    """An incremental build or a re-read title (OCR differs by a letter) continues it."""
    screens = {1: "Binary search\n- sorted", 2: "Binary searcn\n- sorted\n- halves", 3: "Summary"}
    sections = lecture([1, 2, 3], [0, 1, 2], screens)
    assert [s.title for s in sections] == ["Binary search", "Summary"]
    assert sections[0].chunk_ids == (0, 1)


def test_an_untitled_slide_follows_the_speech():
    """It continues the section while the topic holds, and starts one where it shifts."""
    screens = {1: "Binary search", 2: "", 3: ""}
    assert [len(s.chunk_ids) for s in lecture([1, 2, 3], [0, 0, 1], screens)] == [2, 1]


def test_one_long_slide_is_cut_where_the_topic_shifts():
    """An hour on one static image still gets sections, titled from their speech."""
    sections = lecture([1] * 6, [0, 0, 1, 1, 2, 2], {1: "Algorithms"})
    assert len(sections) == 3 and sections[0].title == "Algorithms"
    assert sections[1].title == "Binary search" and sections[1].slide_title == ""


def test_ocr_noise_and_furniture_are_never_titles():
    said = said_words(["welcome to the business expansion engine"])
    assert readable_title("Business Expansion Engine", said)
    assert readable_title("Why use a comprehension?", said)
    for noise in ("MIHNINE BE MYMNXIADSNITI", "u ¥", "| I |", "$$ = e $$"):
        assert not readable_title(noise, said), noise
    texts = ["Intro\nRECORDED WITH", "Plan\nRecorded with", "Costs\nRECORDED WITH"]
    assert screen_furniture(texts) == {"recorded with"}
    sections = lecture([1, 2, 3], [0, 1, 2], dict(zip([1, 2, 3], texts, strict=True)))
    assert all("RECORDED" not in sc.on_screen_text.upper() for s in sections for sc in s.screens)


@pytest.mark.parametrize(
    ("speech", "title"),
    [
        ("Binary search halves the range. Binary search needs order.", "Binary search"),
        ("A queue serves in order. The queue grows at its back.", "Queue"),
        ("Welcome everyone.", "Welcome everyone"),
    ],
)
def test_a_title_from_speech_names_its_most_repeated_term(speech, title):
    assert speech_title(speech) == title


SECTION = SectionMaterial(
    number=1,
    start=0.0,
    end=20.0,
    text="Binary search halves the sorted range at every step.",
    speech="Binary search halves the sorted range at every step. It needs a sorted list.",
    screens=(Screen("Binary search\n- halves the sorted range"),),
    spoken=(
        (0.0, "Binary search halves the sorted range at every step."),
        (9.0, "It needs a sorted list."),
    ),
)
TERMS = {"linear": True, "queue": True, "stack": True, "index": False, "ranges": False}
MC = {
    "question": "What does binary search halve at every step?",
    "options": ["the sorted range", "the stack", "the queue"],
    "answer": "the sorted range",
}


def test_a_model_question_needs_exactly_one_right_option_the_lecture_supports():
    question = model_question(SECTION, MC)
    assert question is not None and question.answer == "the sorted range"
    assert question.explanation.startswith("Binary search halves") and question.time == 0.0
    assert model_question(SECTION, {**MC, "options": ["the sorted range"] * 3}) is None
    assert model_question(SECTION, {**MC, "answer": "the heap"}) is None
    assert model_question(SECTION, {**MC, "options": MC["options"][:2]}) is None
    wrong = {**MC, "answer": "the queue"}
    assert model_question(SECTION, wrong) is None, "the lecture does not say the queue"


def test_no_question_rests_on_a_doubted_or_corrected_word():
    words = pd.DataFrame(
        {
            "start": [0.0, 0.5],
            "end": [0.5, 1.0],
            "word": [" Binary", " search"],
            "probability": [0.3, 0.9],
        }
    )
    corrections = pd.DataFrame(
        {"start": [10.0], "end": [11.0], "heard": ["sordid"], "corrected": ["sorted"]}
    )
    (section,) = lecture([1, 1], [0, 0], {1: "Binary search"}, words=words, corrections=corrections)
    assert {"binary", "sordid", "sorted"} <= section.doubtful and "search" not in section.doubtful
    doubting = SectionMaterial(**{**SECTION.__dict__, "doubtful": frozenset({"binary"})})
    assert model_question(doubting, MC) is None
    assert cloze_question(SECTION, TERMS) is not None
    assert cloze_question(doubting, TERMS) is not None
    assert "binary" not in json.dumps(cloze_question(doubting, TERMS).__dict__).lower()


def test_the_code_is_explained_line_by_line_in_the_lectures_words():
    code = (
        "def linear_search(items, target):\n"
        "    for index, item in enumerate(items):  # walk the list\n"
        "        if item == target:\n"
        "            return index\n"
        "    return -1"
    )
    spoken = [
        "Today we compare two ways to find an item.",
        "This function walks through the list with enumerate.",
        "It returns the index as soon as the item matches the target.",
    ]
    assert code_notes(code, spoken) == [
        ("for index, item in enumerate(items):  # walk the list", spoken[1]),
        ("return index", spoken[2]),
    ], "an everyday word said twice (item) explains no line"
    assert code_notes(code, ["Nothing here names the code."]) == []


def test_code_is_matched_as_it_is_read_aloud():
    """Operators and numbers are said as words ("n minus one"), verbs take endings."""
    code = "def factorial(n):\n    if n == 0:\n        return 1\n    return n * factorial(n - 1)"
    spoken = [
        "We define a function called factorial. If n is zero, the factorial is 1.",
        "Otherwise, we multiply n by the factorial of n minus 1.",
    ]
    assert [line for line, _ in code_notes(code, spoken)] == [
        "def factorial(n):",
        "if n == 0:",
        "return n * factorial(n - 1)",
    ]


def test_an_hour_on_one_image_gets_a_section_every_few_minutes():
    sections = lecture([1] * 60, [0] * 60, {1: "Cover"}, chunk_seconds=60.0)
    assert len(sections) == 12 and all(s.end - s.start < 300 for s in sections)
