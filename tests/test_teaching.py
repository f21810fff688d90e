"""The LLM-written notebook's composition, without a model: whatever the model answers
(good text, no markers, truncated JSON, nothing at all), the notebook is complete and valid.

Also the text stages' grounding (a model may not add facts) and the code versions that
make a prompt edit invalidate exactly the assets using that prompt.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from vid2learn_dagster.language.generation import Usage, generate_where_needed
from vid2learn_dagster.language.prompting import load_prompt
from vid2learn_dagster.language.rewriting import (
    blend_prompts,
    blended_table,
    rewrite_prompts,
    rewritten_table,
)
from vid2learn_dagster.notebook.composition import compose_notebook
from vid2learn_dagster.notebook.materials import Screen, SectionMaterial, outline, section_materials
from vid2learn_dagster.notebook.prompts import NOTEBOOK, OVERVIEW, notebook_prompts
from vid2learn_dagster.notebook.quiz import lecture_terms
from vid2learn_dagster.notebook.rendering import META_KEY, VideoSource

SOURCE = VideoSource(video_id="abc", url="http://127.0.0.1:1/lecture.mp4", title="Lists")
CODE = "squares = []\nfor n in range(10):\n    squares.append(n * n)"
MATERIALS = [
    SectionMaterial(
        number=1,
        start=0.0,
        end=9.0,
        text="A list keeps items in order. You index a list from zero.",
        speech="A list keeps items in order. You index a list from zero.",
        screens=(Screen("What is a list?\n- Items in order\n- Index from zero"),),
        slide_title="What is a list?",
    ),
    SectionMaterial(
        number=2,
        start=9.0,
        end=20.0,
        text="This loop collects the square of each number in a new list.",
        speech="This loop collects the square of each number in a new list.",
        screens=(Screen(f"From loop to list\n{CODE}", code=CODE),),
        slide_title="From loop to list",
    ),
    SectionMaterial(
        number=3,
        start=20.0,
        end=30.0,
        text="The mean is the sum of the values divided by their count.",
        speech="The mean is the sum of the values divided by their count.",
        screens=(Screen("The mean\nm = (x1 + x2 + ... + xn) / n\n- Add up the values"),),
        slide_title="The mean",
    ),
    SectionMaterial(number=4, start=30.0, end=35.0, text="", speech=""),  # a silent slide
]


def answers_like(text: str) -> dict[str, str]:
    return dict.fromkeys(notebook_prompts(MATERIALS), text)


def section_json(**fields: object) -> str:
    """A topic answer as Qwen writes it: JSON in a ```json fence."""
    return f"```json\n{json.dumps(fields)}\n```"


MALFORMED = {
    "nothing": {},
    "empty strings": answers_like(""),
    "not json": answers_like("Sure! I made a few tweaks to enhance the grammar and readability."),
    "truncated json": answers_like('{"heading": "Lists", "explanation": "A list keeps'),
    "question 1 loops": answers_like('{"question": "Question 1 Question 1", "answer": "1"}'),
}


def rendered(answers: dict[str, str]) -> nbformat.NotebookNode:
    nb = compose_notebook(SOURCE, MATERIALS, answers).render()
    nbformat.validate(nb)
    return nb


def markdown(nb: nbformat.NotebookNode) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_model_output_still_gives_a_complete_notebook(case):
    nb = rendered(MALFORMED[case])
    text = markdown(nb)
    for part in ("## Introduction", "### Learning outcomes", "### Roadmap", "## Conclusion"):
        assert part in text
    headers = [c.metadata[META_KEY] for c in nb.cells if META_KEY in c.metadata]
    assert [h["title"] for h in headers] == [
        "What is a list?",
        "From loop to list",
        "The mean",
        "Untitled",
    ]
    assert all(h["url"].endswith(f"#t={int(h['start'])}") for h in headers)
    assert [c.source for c in nb.cells if c.cell_type == "code"] == [CODE]
    hidden = [c for c in nb.cells if c.metadata.get("jupyter", {}).get("source_hidden")]
    assert len(hidden) == 3, "a quiz with hidden answers for every topic with speech"
    assert "$$\nm = (x_{1} + x_{2} + \\dots + x_{n}) / n\n$$" in text
    assert "I made a few tweaks" not in text and "Question 1" not in text
    assert "A list keeps items in order." in text  # the fallback explanation


def test_fallback_quiz_blanks_a_term_the_slide_shows_among_the_lectures_terms():
    nb = rendered({})
    quiz = next(c.source for c in nb.cells if c.source.startswith("**Quiz**"))
    answer = next(c.source for c in nb.cells if c.metadata.get("jupyter"))
    assert "Fill in the blank: A list keeps _____ in order." in quiz.replace("\\_", "_")
    options = dict(re.findall(r"- ([A-D])\) (\w+)", quiz))
    assert len(options) == 4 and "items" in options.values()
    terms = lecture_terms(MATERIALS)
    assert set(options.values()) - {"items"} <= {t for t, shown in terms.items() if shown}
    letter = next(k for k, v in options.items() if v == "items")
    assert answer.startswith("**Answers**") and f"1. **{letter}) items**" in answer


def test_supported_model_answers_are_used():
    overview = {
        "introduction": "You will see how a list keeps items in order.",
        "audience": "Beginners who know what a number is.",
        "outcomes": ["Index a list from zero", "Collect squares of numbers in a loop", "Bake"],
    }
    answers = {
        OVERVIEW: json.dumps(overview),
        "section:1": section_json(
            heading="Lists",
            explanation="A list keeps its items in order, and you index it from zero.",
            key_points=["You index a list from zero"],
            question="From which number do you index a list?",
            options=["zero", "one", "ten"],
            answer="zero",
            code="",
        ),
        "section:3": section_json(
            heading="The mean",
            explanation="",
            question="",
            answer="",
            code="mean = sum(values) / len(values)",
        ),
    }
    nb = rendered(answers)
    text = markdown(nb)
    assert "You will see how a list keeps items in order." in text
    assert "- Index a list from zero" in text and "Bake" not in text
    assert "A list keeps its items in order, and you index it from zero." in text
    assert "From which number do you index a list?" in text
    assert "- You index a list from zero" in text, "a supported key point"
    answers_cell = next(c.source for c in nb.cells if c.metadata.get("jupyter"))
    assert answers_cell.startswith("**Answers**") and "**A) zero**" in answers_cell
    assert "“You index a list from zero.” ([0:00]" in answers_cell, "explained, with its moment"
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code == [CODE, "mean = sum(values) / len(values)"]


def test_key_points_that_echo_json_loop_or_repeat_the_explanation_are_dropped():
    """A small model looping inside its JSON (seen on a generated lecture) must not put
    its raw answer, or a sentence said twice, in the notebook."""
    said = "A list keeps its items in order, and you index it from zero."
    answers = {
        "section:1": section_json(
            heading="Lists",
            explanation=said,
            key_points=[
                '{"explanation": "You index a list from zero.',
                "A list keeps items. A list keeps items. A list keeps items.",
                said,
                "You index a list from zero",
            ],
            question="",
            answer="",
            code="",
        ),
    }
    cell = next(c.source for c in rendered(answers).cells if said in c.source)
    points = re.findall(r"^- (.*)$", cell, flags=re.MULTILINE)
    assert points == ["You index a list from zero"]


def test_invented_code_and_unsupported_questions_are_rejected():
    answers = {
        "section:1": section_json(
            heading="Baking",
            explanation="",
            question="How do you bake bread at home?",
            answer="In an oven",
            code="def filter_even_humbers(data):\n    return data",
        )
    }
    nb = rendered(answers)
    assert "filter_even_humbers" not in "".join(c.source for c in nb.cells)
    assert "bake bread" not in markdown(nb)


def test_outline_echoed_back_is_not_taken_as_outcomes():
    echo = [line.split(". ", 1)[1] for line in outline(MATERIALS).splitlines()]
    overview = {"outcomes": echo}
    text = markdown(rendered({OVERVIEW: json.dumps(overview)}))
    assert "- Answer “What is a list?”" in text, "an outcome is a skill, not a heading"
    assert "- Read and write code like the example in “From loop to list”" in text
    assert "- Explain the mean" in text
    assert "- **The mean**: The mean is the sum of the values divided by their count." in text


def test_no_topics_gives_a_valid_notebook_that_says_so():
    nb = compose_notebook(SOURCE, [], {}).render()
    nbformat.validate(nb)
    assert "no sections" in markdown(nb) and notebook_prompts([]) == {}


def test_one_json_prompt_per_section_and_one_for_the_overview():
    prompts = notebook_prompts(MATERIALS)
    assert list(prompts) == [OVERVIEW, "section:1", "section:2", "section:3"]
    users = {key: messages[-1]["content"] for key, messages in prompts.items()}
    for number, m in enumerate(MATERIALS[:3], start=1):
        topics = [text for key, text in users.items() if key != OVERVIEW]
        assert sum(m.text in text for text in topics) == 1, "each topic's text in one prompt"
        note = "the slide already shows the code" if m.code else "if it describes none"
        assert note in users[f"section:{number}"]
    assert "1. What is a list?: A list keeps items in order." in users[OVERVIEW]
    schema = NOTEBOOK.json_schema
    assert schema is not None
    branches = [set(branch["required"]) for branch in schema["anyOf"]]
    assert branches == [
        {"heading", "explanation", "key_points", "question", "options", "answer", "code"},
        {"introduction", "audience", "outcomes"},
    ]


def test_the_prompts_ask_for_the_videos_language():
    prompts = notebook_prompts(MATERIALS, "de")
    assert all("Language: German\n" in p[-1]["content"] for p in prompts.values())
    assert "Language: English\n" in notebook_prompts(MATERIALS)[OVERVIEW][-1]["content"]


def test_every_prompt_starts_with_the_same_system_message():
    prompts = [*notebook_prompts(MATERIALS).values(), *rewrite_prompts(CHUNKS)]
    prompts += blend_prompts(SLIDE_CHUNKS, SLIDE_CHUNKS, SLIDE_VISUALS)
    systems = {p[0]["content"] for p in prompts if p is not None}
    assert systems == {load_prompt("system")}
    assert all(p[0]["role"] == "system" and len(p) == 2 for p in prompts if p is not None)


def test_section_materials_join_the_stage_tables(tmp_path: Path):
    topics = pd.DataFrame({"topic_id": [0, 1], "chunk_ids": [[0, 1], [2]]})
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
    blended = pd.DataFrame({"chunk_id": [0, 1, 2], "text": ["One", "Two", ""]})
    visuals = pd.DataFrame(
        {
            "scene": [1, 2],
            "on_screen_text": ["Title one", f"Code\n{CODE}"],
            "code": ["", CODE],
            "description": ["", ""],
        }
    )
    first, second = section_materials(
        topics, chunks, blended, rewritten, visuals, NO_WORDS, NO_CORRECTIONS
    )
    assert first.speech == "one. two." and first.text == "One Two" and first.title == "Title one"
    assert first.chunk_ids == (0, 1) and second.chunk_ids == (2,)
    assert first.image_path == tmp_path / "1.jpg" and second.image_path is None
    assert second.code == [CODE] and second.title == "Code"


NO_WORDS = pd.DataFrame({"start": [], "end": [], "word": [], "probability": []})
NO_CORRECTIONS = pd.DataFrame({"start": [], "end": [], "heard": [], "corrected": []})


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
    assert calls == [2] and answers[1] is None
    table = rewritten_table("v", CHUNKS, [a or "" for a in answers], "m")
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


# A slide shown over two chunks: its point is asked for once, at its first chunk.
SLIDE_CHUNKS = pd.DataFrame(
    {
        "chunk_id": [0, 1, 2],
        "scene": [1, 1, 2],
        "start": [0.0, 4.0, 8.0],
        "end": [4.0, 8.0, 12.0],
        "text": ["A list keeps items in order.", "You index it from zero.", "Loops repeat."],
    }
)
SLIDE_VISUALS = pd.DataFrame(
    {
        "scene": [1, 2],
        "on_screen_text": [
            "Lists\n- Items keep their order\n- Lists can grow and shrink",
            "Loops\n- Loops repeat",
        ],
        "code": ["", ""],
        "description": ["Slide titled 'Lists' with 2 bullet points.", "A diagram of a loop."],
        "backend": ["ocr:tesseract 5", "ocr:tesseract 5"],
        "has_code": [False, False],
    }
)


def test_blend_asks_only_for_what_a_slide_adds_once_per_slide():
    prompts = blend_prompts(SLIDE_CHUNKS, SLIDE_CHUNKS, SLIDE_VISUALS)
    assert prompts[1] is None, "the slide's second chunk: its points were asked for already"
    assert prompts[2] is None, "the speech says everything the second slide shows"
    user = prompts[0][-1]["content"]
    assert user.endswith('Slide "Lists":\n- Lists can grow and shrink')
    assert "in order" not in user, "a point the speech covers is not sent"
    assert "A list keeps" not in user, "the speech is not sent again"


def test_blend_is_the_speech_plus_the_models_supported_sentence():
    answers = ["Lists can grow and shrink as you add items.", "", ""]
    table = blended_table("v", SLIDE_CHUNKS, SLIDE_CHUNKS, SLIDE_VISUALS, answers, "m")
    assert table["text"].tolist() == [
        "A list keeps items in order. Lists can grow and shrink as you add items.",
        "You index it from zero.",
        "Loops repeat.",
    ]


def test_a_vision_models_description_is_a_slide_point_but_an_ocr_count_is_not():
    visuals = SLIDE_VISUALS.assign(backend=["vllm:qwen-vl", "vllm:qwen-vl"])
    prompts = blend_prompts(SLIDE_CHUNKS, SLIDE_CHUNKS, visuals)
    assert prompts[2] is not None and "A diagram of a loop." in prompts[2][-1]["content"]


def test_blend_falls_back_to_the_slides_points_as_written():
    answers = ["I love baking bread at home.", "", ""]  # unsupported by the slide
    table = blended_table("v", SLIDE_CHUNKS, SLIDE_CHUNKS, SLIDE_VISUALS, answers, "m")
    assert (
        table["text"].iloc[0]
        == "A list keeps items in order. On screen: Lists can grow and shrink."
    )


def test_ocr_noise_and_points_the_speech_made_add_nothing_to_the_blend():
    rewritten = rewritten_table("v", CHUNKS, ["", "", ""], "m")
    visuals = VISUALS.assign(backend="ocr:tesseract 5")
    assert blend_prompts(rewritten, CHUNKS, visuals) == [None, None, None]
    table = blended_table("v", rewritten, CHUNKS, visuals, ["", "", ""], "m")
    assert table["text"].tolist() == [
        "so um a list uh keeps items in order",
        "",  # neither speech nor slide prose (a one-word title is not explained)
        "you index a list from zero",
    ]


def test_usage_counts_processed_prompt_tokens_and_completions_per_video_minute():
    class Generation:
        def __init__(self, prompt: int, cached: int, completion: int) -> None:
            self.prompt_tokens, self.cached_tokens = prompt, cached
            self.completion_tokens = completion

    usage = Usage.of([Generation(100, 60, 20), None, Generation(50, 0, 10)])
    assert usage == Usage(prompts=2, prompt_tokens=150, cached_tokens=60, completion_tokens=30)
    assert usage.llm_tokens == 120
    assert usage.metadata(30.0)["llm_tokens_per_video_minute"] == 240
    assert "llm_tokens_per_video_minute" not in usage.metadata(None)


# --- topics over slides ---------------------------------------------------------------


def test_a_slide_is_never_split_and_chunks_without_a_slide_stand_alone():
    from vid2learn_dagster.alignment.chunking import NO_SCENE
    from vid2learn_dagster.topics.segmenting import segment_slides

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
    [
        ("rewrite", {"rewritten_chunks"}),
        ("blend", {"blended_chunks"}),
        ("notebook_section", {"notebook"}),
        ("notebook_intro", {"notebook"}),
        ("system", {"rewritten_chunks", "blended_chunks", "notebook"}),
    ],
)
def test_editing_a_prompt_changes_only_its_assets_code_version(monkeypatch, prompt, stale):
    from assets.common.versions import model_code_versions
    from resources.common.model_resources import model_resources
    from vid2learn_dagster.language import prompting

    resources = model_resources()
    before = model_code_versions(resources)
    original = prompting.load_prompt
    monkeypatch.setattr(
        prompting,
        "load_prompt",
        lambda name: original(name) + (" Edited." if name == prompt else ""),
    )
    after = model_code_versions(resources)
    assert {asset for asset in before if before[asset] != after[asset]} == stale


def test_the_model_changes_every_llm_assets_code_version():
    from assets.common.versions import model_code_versions
    from resources.common.model_resources import model_resources
    from resources.language.llm import LLMResource

    resources = model_resources()
    other = {**resources, "llm": LLMResource(backend="openai", base_url="http://x/v1", model="m")}
    before, after = model_code_versions(resources), model_code_versions(other)
    changed = {asset for asset in before if before[asset] != after[asset]}
    assert changed == {"rewritten_chunks", "blended_chunks", "notebook"}
