"""The glossary and the video summary say only what the lecture says (issue 12 items 4-5):
terms the lecture keeps naming, each with the sentence that defines it and its moment;
keywords, hashtags and suggested questions answered from the checked sections."""

from __future__ import annotations

import json

from vid2learn_dagster.notebook.glossary import glossary
from vid2learn_dagster.notebook.materials import Screen, SectionMaterial
from vid2learn_dagster.notebook.quiz import Question
from vid2learn_dagster.notebook.rendering import Section
from vid2learn_dagster.notebook.sections import TaughtSection
from vid2learn_dagster.notebook.summary import video_summary

SEARCH = SectionMaterial(
    number=1,
    start=0.0,
    end=20.0,
    text="",
    speech="Today we search a list. Binary search is a way to find an item in a sorted list.",
    screens=(Screen("Binary search\n- sorted list"),),
    spoken=(
        (0.0, "Today we search a list."),
        (5.0, "Binary search is a way to find an item in a sorted list."),
    ),
)
MORE = SectionMaterial(
    number=2,
    start=20.0,
    end=40.0,
    text="",
    speech="Binary search halves the range. A sorted list keeps its items in order. Enough.",
    screens=(Screen("Halving"),),
    spoken=(
        (20.0, "Binary search halves the range."),
        (30.0, "A sorted list keeps its items in order. Enough."),
    ),
    doubtful=frozenset({"halves"}),
)


def test_the_glossary_holds_the_lectures_terms_with_their_defining_moment():
    terms = {t.term: t for t in glossary([SEARCH, MORE])}
    assert set(terms) == {"binary search", "sorted list"}
    assert terms["binary search"].definition.startswith("Binary search is a way")
    assert terms["binary search"].time == 5.0, "where it is defined, not first named"
    assert terms["sorted list"].definition == "A sorted list keeps its items in order."
    assert terms["sorted list"].time == 30.0


def test_a_doubted_word_is_no_term():
    doubting = SectionMaterial(**{**SEARCH.__dict__, "doubtful": frozenset({"binary"})})
    assert [t.term for t in glossary([doubting, MORE])] == ["sorted list"]


def test_the_summary_asks_the_sections_questions_then_the_glossarys():
    asked = Question(
        "What does binary search need?",
        ("a sorted list", "a queue", "a stack"),
        0,
        "Binary search is a way to find an item in a sorted list.",
        5.0,
    )
    cloze = Question("Fill in the blank: _____ keeps its items", ("a", "b", "c"), 0, "x", 1.0)
    taught = TaughtSection(
        Section("Binary search", 0.0, 20.0, ""), SEARCH, "", (asked, cloze), 0, 0
    )
    summary = video_summary("v", "An abstract.", [taught], glossary([SEARCH, MORE]))
    assert summary.keywords == ("binary search", "sorted list")
    assert summary.hashtags == ["#BinarySearch", "#SortedList"]
    assert [q.question for q in summary.questions] == [
        "What does binary search need?",
        "What does “binary search” mean?",
        "What does “sorted list” mean?",
    ]
    assert summary.questions[0].answer == "a sorted list" and summary.questions[0].times == (5.0,)
    row = summary.table().iloc[0]
    assert json.loads(row["questions"][1])["times"] == [5.0] and row["abstract"] == "An abstract."


def test_few_terms_are_filled_out_with_the_slides_subjects():
    titled = SectionMaterial(**{**MORE.__dict__, "slide_title": "Why halve the range?"})
    summary = video_summary(
        "v",
        "",
        [TaughtSection(Section("Summary", 0.0, 1.0, ""), titled, "", (), 0, 0)],
        glossary([SEARCH, MORE]),
    )
    assert summary.keywords == ("binary search", "sorted list", "why halve the range")
    assert summary.hashtags[-1] == "#WhyHalveTheRange"
