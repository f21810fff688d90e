"""One notebook section per topic from its JSON answer, each part checked against the
lecture and with a fallback built from the lecture itself."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import replace

from vid2learn_dagster.language.grounding import (
    grounded,
    identifiers_supported,
    support,
    vocabulary,
)
from vid2learn_dagster.language.llm_output import (
    clean_text,
    first_fenced_block,
    json_object,
    string_field,
    without_fenced_blocks,
)
from vid2learn_dagster.notebook.formulas import formula_markdown
from vid2learn_dagster.notebook.materials import MAX_TITLE_WORDS, TopicMaterial
from vid2learn_dagster.notebook.prompts import topic_key
from vid2learn_dagster.notebook.quiz import cloze_question, model_question, quiz_cells
from vid2learn_dagster.notebook.rendering import Section, escape_markdown


def explanation(m: TopicMaterial, text: str) -> str:
    """The model's supported sentences about the topic, else the topic's own text."""
    kept = grounded(without_fenced_blocks(clean_text(text)), vocabulary(*m.source_texts()))
    return kept or m.text


def described_code(m: TopicMaterial, text: str) -> str:
    """Code the model wrote for a program the speaker described, if it is real Python
    whose names occur in the lecture (a small model invents helpers); else ""."""
    block = first_fenced_block(text)
    code = (text if block is None else block).strip()
    if not code:
        return ""
    try:
        ast.parse(code)
    except SyntaxError:
        return ""
    return code if identifiers_supported(code, m.source_texts()) else ""


def section(m: TopicMaterial, answers: Mapping[str, str]) -> Section:
    """One topic's notebook section from its JSON answer (missing or broken: fallbacks)."""
    data = json_object(answers.get(topic_key(m), ""))
    heading = " ".join(string_field(data, "heading").strip("#*: ").split())
    supported_heading = (
        heading
        if heading
        and len(heading.split()) <= MAX_TITLE_WORDS
        and support(heading, vocabulary(*m.source_texts())) >= 0.7
        else ""
    )
    title = m.slide_title or supported_heading or m.title
    parts = [escape_markdown(explanation(m, string_field(data, "explanation"))) or "*(no speech)*"]
    if m.voices:
        parts.append(m.voices)
    formulas = formula_markdown(f for s in m.screens for f in s.formulas())
    if formulas:
        parts.append(formulas)
    code = m.code or [c for c in [described_code(m, string_field(data, "code"))] if c]
    questions = [q for q in (model_question(m, data), cloze_question(m)) if q is not None]
    return Section(
        title=title,
        start=m.start,
        end=m.end,
        markdown="\n\n".join(parts),
        image_path=m.image_path,
        code=tuple(code),
        extra_cells=quiz_cells(questions),
    )


def shown_once(sections: list[Section]) -> list[Section]:
    """A keyframe only where it changes and a slide's code only in its first section: a
    slide spanning two topics would otherwise repeat both (as the issue-2 notebook does)."""
    shown_code: set[str] = set()
    previous_image = None
    result = []
    for s in sections:
        code = tuple(c for c in s.code if c not in shown_code)
        shown_code.update(code)
        image = s.image_path if s.image_path != previous_image else None
        previous_image = s.image_path or previous_image
        result.append(replace(s, code=code, image_path=image))
    return result
