"""The LLM-written notebook's composition, without a model: whatever the model answers
(good text, no markers, truncated JSON, nothing at all), the notebook is complete and valid.

Also the text stages' grounding (a model may not add facts) and the code versions that
make a prompt edit invalidate exactly the assets using that prompt.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from vid2learn_dagster.generation import generate_where_needed
from vid2learn_dagster.notebook import META_KEY, VideoSource, render_notebook
from vid2learn_dagster.rewriting import blended_table, rewrite_prompts, rewritten_table
from vid2learn_dagster.teaching import (
    Screen,
    TopicMaterial,
    compose_notebook,
    notebook_prompts,
    outline,
    topic_materials,
)

SOURCE = VideoSource(video_id="abc", url="http://127.0.0.1:1/lecture.mp4", title="Lists")
CODE = "squares = []\nfor n in range(10):\n    squares.append(n * n)"
MATERIALS = [
    TopicMaterial(
        number=1,
        start=0.0,
        end=9.0,
        text="A list keeps items in order. You index a list from zero.",
        speech="A list keeps items in order. You index a list from zero.",
        screens=(Screen("What is a list?\n- Items in order\n- Index from zero"),),
    ),
    TopicMaterial(
        number=2,
        start=9.0,
        end=20.0,
        text="This loop collects the square of each number in a new list.",
        speech="This loop collects the square of each number in a new list.",
        screens=(Screen(f"From loop to list\n{CODE}", code=CODE),),
    ),
    TopicMaterial(
        number=3,
        start=20.0,
        end=30.0,
        text="The mean is the sum of the values divided by their count.",
        speech="The mean is the sum of the values divided by their count.",
        screens=(Screen("The mean\nm = (x1 + x2 + ... + xn) / n\n- Add up the values"),),
    ),
    TopicMaterial(number=4, start=30.0, end=35.0, text="", speech=""),  # a silent slide
]


def answers_like(text: str) -> dict[str, str]:
    return dict.fromkeys(notebook_prompts(MATERIALS).text, text)


def quizzes_like(text: str) -> dict[str, str]:
    return dict.fromkeys(notebook_prompts(MATERIALS).quiz, text)


MALFORMED = {
    "nothing": ({}, {}),
    "empty strings": (answers_like(""), quizzes_like("")),
    "no markers": (
        answers_like("Sure! I made a few tweaks to enhance the grammar and readability."),
        quizzes_like("Question 1 Question 1 Question 1"),
    ),
    "truncated json": (
        answers_like('{"title": "Lists", "body": "A list keeps'),
        quizzes_like('{"question": "What does a list keep in order?", "answer": "ite'),
    ),
}


def rendered(answers: dict[str, str], quizzes: dict[str, str]) -> nbformat.NotebookNode:
    composed = compose_notebook(SOURCE, MATERIALS, answers, quizzes)
    nb = render_notebook(
        SOURCE,
        composed.sections,
        intro_markdown=composed.intro_markdown,
        conclusion_markdown=composed.conclusion_markdown,
    )
    nbformat.validate(nb)
    return nb


def markdown(nb: nbformat.NotebookNode) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_model_output_still_gives_a_complete_notebook(case):
    nb = rendered(*MALFORMED[case])
    text = markdown(nb)
    for part in ("## Introduction", "### Learning outcomes", "### Roadmap", "## Conclusion"):
        assert part in text
    headers = [c.metadata[META_KEY] for c in nb.cells if META_KEY in c.metadata]
    assert [h["title"] for h in headers] == [
        "What is a list?",
        "From loop to list",
        "The mean",
        "Part 4",
    ]
    assert all(h["url"].endswith(f"#t={int(h['start'])}") for h in headers)
    assert [c.source for c in nb.cells if c.cell_type == "code"] == [CODE]
    hidden = [c for c in nb.cells if c.metadata.get("jupyter", {}).get("source_hidden")]
    assert len(hidden) == 3, "a quiz with hidden answers for every topic with speech"
    assert "$$\nm = (x_{1} + x_{2} + \\dots + x_{n}) / n\n$$" in text
    assert "I made a few tweaks" not in text and "Question 1" not in text
    assert "A list keeps items in order." in text  # the fallback explanation


def test_fallback_quiz_blanks_a_term_the_slide_shows():
    nb = rendered({}, {})
    quiz = next(c.source for c in nb.cells if c.source.startswith("**Quiz**"))
    answer = next(c.source for c in nb.cells if c.metadata.get("jupyter"))
    assert "Fill in the blank: A list keeps _" in quiz.replace("\\_", "_")
    assert answer.endswith("1. items")


def test_supported_model_answers_are_used():
    answers = {
        "intro": "# Lists\n\nYou will see how a list keeps items in order.",
        "outcomes": "- Index a list from zero\n- Collect squares of numbers in a loop\n- Bake",
        "topic:1": "## Lists\n\nA list keeps its items in order, and you index it from zero.",
        "code:3": "```python\nmean = sum(values) / len(values)\n```",
        "conclusion": "A list keeps items in order. The mean divides the sum by the count.",
    }
    quizzes = {"quiz:1": '{"question": "From which number do you index a list?", "answer": "zero"}'}
    text = markdown(rendered(answers, quizzes))
    assert "You will see how a list keeps items in order." in text
    assert "- Index a list from zero" in text and "Bake" not in text
    assert "A list keeps its items in order, and you index it from zero." in text
    assert "From which number do you index a list?" in text
    assert "The mean divides the sum by the count." in text


def test_invented_code_and_unsupported_questions_are_rejected():
    answers = {"code:1": "```python\ndef filter_even_humbers(data):\n    return data\n```"}
    quizzes = {"quiz:1": '{"question": "How do you bake bread at home?", "answer": "In an oven"}'}
    nb = rendered(answers, quizzes)
    assert "filter_even_humbers" not in "".join(c.source for c in nb.cells)
    assert "bake bread" not in markdown(nb)


def test_outline_echoed_back_is_not_taken_as_outcomes():
    echo = "\n".join(f"- {line.split('. ', 1)[1]}" for line in outline(MATERIALS).splitlines())
    text = markdown(rendered({"outcomes": echo, "conclusion": echo}, {}))
    assert "- Explain What is a list?" in text
    assert "This video covered: What is a list?; From loop to list" in text


def test_no_topics_gives_a_valid_notebook_that_says_so():
    composed = compose_notebook(SOURCE, [], {}, {})
    nb = render_notebook(
        SOURCE,
        [],
        intro_markdown=composed.intro_markdown,
        conclusion_markdown=composed.conclusion_markdown,
    )
    nbformat.validate(nb)
    assert "no sections" in markdown(nb) and notebook_prompts([]).text == {}


def test_prompts_are_one_text_batch_and_one_quiz_batch():
    prompts = notebook_prompts(MATERIALS)
    assert set(prompts.text) == {
        "intro",
        "audience",
        "outcomes",
        "conclusion",
        "topic:1",
        "topic:2",
        "topic:3",
        "code:1",
        "code:3",
    }
    assert set(prompts.quiz) == {"quiz:1", "quiz:2", "quiz:3"}


def test_topic_materials_join_the_stage_tables(tmp_path: Path):
    topics = pd.DataFrame(
        {"start": [0.0, 5.0], "end": [5.0, 9.0], "text": ["a b", "c"], "chunk_ids": [[0, 1], [2]]}
    )
    chunks = pd.DataFrame(
        {
            "chunk_id": [0, 1, 2],
            "scene": [1, 1, 2],
            "start": [0.0, 3.0, 5.0],
            "end": [3.0, 5.0, 9.0],
            "text": ["one", "two", ""],
            "speaker": [None, None, None],
            "image_path": [str(tmp_path / "1.jpg"), str(tmp_path / "1.jpg"), None],
        }
    )
    rewritten = pd.DataFrame({"chunk_id": [0, 1, 2], "text": ["one.", "two.", ""]})
    visuals = pd.DataFrame(
        {
            "scene": [1, 2],
            "on_screen_text": ["Title one", f"Code\n{CODE}"],
            "code": ["", CODE],
            "description": ["", ""],
        }
    )
    first, second = topic_materials(topics, chunks, rewritten, visuals)
    assert first.speech == "one. two." and first.title == "Title one"
    assert first.image_path == tmp_path / "1.jpg" and second.image_path is None
    assert second.code == [CODE] and second.title == "Code"


# --- rewrite and blend ------------------------------------------------------------------


CHUNKS = pd.DataFrame(
    {
        "chunk_id": [0, 1, 2],
        "scene": [1, 2, 3],
        "start": [0.0, 4.0, 8.0],
        "end": [4.0, 8.0, 12.0],
        "text": ["so um a list uh keeps items in order", "", "you index a list from zero"],
    }
)
VISUALS = pd.DataFrame(
    {
        "scene": [1, 2],
        "on_screen_text": ["Lists\n- Items keep their order\nB X1 + X2 I ... F %i", "Silent"],
        "code": ["", ""],
        "description": ["Slide titled 'Lists' with 1 bullet point.", ""],
        "has_code": [False, False],
    }
)


def test_rewrite_skips_silent_chunks_and_calls_the_model_once():
    calls: list[int] = []

    def generate(prompts):
        calls.append(len(prompts))
        return ["A list keeps items in order.", "You index a list from zero."]

    answers = generate_where_needed(rewrite_prompts(CHUNKS), generate)
    assert calls == [2] and answers[1] == ""
    table = rewritten_table("v", CHUNKS, answers, "m")
    assert table["text"].tolist() == [
        "A list keeps items in order.",
        "",
        "You index a list from zero.",
    ]


def test_rewrite_drops_invented_sentences_and_falls_back_when_facts_are_lost():
    answers = [
        "A list keeps items in order. I added a comma to improve readability.",
        "",
        "Dictionaries map keys to values.",  # unsupported: nothing left, speech kept
    ]
    table = rewritten_table("v", CHUNKS, answers, "m")
    assert table["text"].tolist() == [
        "A list keeps items in order.",
        "",
        "you index a list from zero",
    ]


def test_blend_falls_back_to_speech_and_the_slides_prose():
    rewritten = rewritten_table("v", CHUNKS, ["", "", ""], "m")
    table = blended_table("v", rewritten, CHUNKS, VISUALS, ["", "", ""], "m")
    assert table["text"].tolist() == [
        "so um a list uh keeps items in order On screen: Items keep their order.",
        "",  # neither speech nor slide prose (a one-word title is not explained)
        "you index a list from zero",
    ]


# --- topics over slides ---------------------------------------------------------------


def test_a_slide_is_never_split_and_chunks_without_a_slide_stand_alone():
    from vid2learn_dagster.chunking import NO_SCENE
    from vid2learn_dagster.segmenting import segment_slides

    scenes = [1, 1, 1, 2, NO_SCENE, NO_SCENE]
    chunks = pd.DataFrame({"chunk_id": range(6), "scene": scenes})
    blended = pd.DataFrame(
        {
            "chunk_id": range(6),
            "start": [float(i) for i in range(6)],
            "end": [i + 1.0 for i in range(6)],
            "text": ["lists", "a question?", "lists again", "cooking", "pasta", "sauce"],
        }
    )
    seen: list[list[str]] = []

    def embed(texts: list[str]):
        seen.append(texts)
        return np.eye(len(texts))  # every unit unlike the others: no merging

    topics, vectors = segment_slides(
        blended, chunks, embed, threshold=0.5, min_slides=1, max_slides=6
    )
    assert seen == [["lists a question? lists again", "cooking", "pasta", "sauce"]]
    assert [t.chunk_ids for t in topics] == [[0, 1, 2], [3], [4], [5]]
    assert topics[0].start == 0.0 and topics[0].end == 3.0 and vectors.shape == (4, 4)


# --- code versions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "stale"),
    [("rewrite", "rewritten_chunks"), ("blend", "blended_chunks"), ("notebook_quiz", "notebook")],
)
def test_editing_a_prompt_changes_only_its_assets_code_version(monkeypatch, prompt, stale):
    from assets.versions import model_code_versions
    from resources.models import model_resources
    from vid2learn_dagster import prompting

    resources = model_resources()
    before = model_code_versions(resources)
    original = prompting.load_prompt
    monkeypatch.setattr(
        prompting,
        "load_prompt",
        lambda name: original(name) + (" Edited." if name == prompt else ""),
    )
    after = model_code_versions(resources)
    assert {asset for asset in before if before[asset] != after[asset]} == {stale}


def test_the_model_changes_every_llm_assets_code_version():
    from assets.versions import model_code_versions
    from resources.llm import LLMResource
    from resources.models import model_resources

    resources = model_resources()
    other = {**resources, "llm": LLMResource(backend="openai", base_url="http://x/v1", model="m")}
    before, after = model_code_versions(resources), model_code_versions(other)
    changed = {asset for asset in before if before[asset] != after[asset]}
    assert changed == {"rewritten_chunks", "blended_chunks", "notebook"}
