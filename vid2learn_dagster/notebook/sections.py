"""One notebook section per `SectionMaterial` from its JSON answer, each part checked
against the lecture and with a fallback built from the lecture itself."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from vid2learn_dagster.language.grounding import (
    MIN_SUPPORT,
    grounded,
    identifiers_supported,
    sentences,
    support,
    vocabulary,
)
from vid2learn_dagster.language.llm_output import (
    clean_text,
    first_fenced_block,
    json_object,
    string_field,
    string_list,
    without_fenced_blocks,
)
from vid2learn_dagster.notebook.formulas import formula_markdown
from vid2learn_dagster.notebook.materials import SectionMaterial
from vid2learn_dagster.notebook.prompts import section_key
from vid2learn_dagster.notebook.quiz import Question, cloze_question, model_question, quiz_cells
from vid2learn_dagster.notebook.rendering import Cell, Section, escape_markdown
from vid2learn_dagster.notebook.walkthrough import code_notes, walkthrough_markdown
from vid2learn_dagster.vision.descriptions import MAX_TITLE_WORDS

MAX_KEY_POINTS = 3


@dataclass(frozen=True)
class TaughtSection:
    """A section as the notebook renders it, with what the `notebook_sections` table and
    the faithfulness check record: the questions, and how many of the model's sentences
    the lecture supported (the rest were dropped)."""

    section: Section
    material: SectionMaterial
    teaching: str  # the explanation and key points, as markdown
    questions: tuple[Question, ...]
    model_sentences: int
    kept_sentences: int


def _model_sentences(text: str) -> list[str]:
    return sentences(without_fenced_blocks(clean_text(text)))


def supported_sentences(m: SectionMaterial, text: str) -> str:
    """The model's sentences about the section that the section's speech and slides
    support (`grounding.grounded`); "" when none is."""
    return grounded(without_fenced_blocks(clean_text(text)), vocabulary(*m.source_texts()))


def supported_points(m: SectionMaterial, items: Sequence[str], taught: str) -> list[str]:
    """The model's key points the section supports, each a point of its own: not JSON the
    model echoed into the list, no sentence twice (a small model loops: "The stack grows.
    The stack grows." on a generated lecture) and none the `taught` text already says."""
    source = vocabulary(*m.source_texts())
    said = set(sentences(taught))
    good = []
    for item in dict.fromkeys(" ".join(x.split()) for x in items):
        parts = sentences(item)
        if len(item.split()) < 3 or "{" in item or len(set(parts)) < len(parts):
            continue
        if not said & set(parts) and support(item, source) >= MIN_SUPPORT:
            good.append(item)
            said |= set(parts)
    return good[:MAX_KEY_POINTS]


def slide_points(m: SectionMaterial) -> list[str]:
    """The slide's own bullet lines (not its title, not its code): the key points when
    the model gave none the lecture supports."""
    lines = [x.strip(" -*•\t") for s in m.screens for x in s.on_screen_text.splitlines()]
    code = "\n".join(m.code)
    titles = {s.title for s in m.screens}
    points = [x for x in dict.fromkeys(lines) if len(x.split()) >= 3]
    return [x for x in points if x not in code and x not in titles][:MAX_KEY_POINTS]


def described_code(m: SectionMaterial, text: str) -> str:
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


def _heading(m: SectionMaterial, data: Mapping[str, object]) -> str:
    """The slide's title; else the model's heading when the section supports it; else one
    from the speech."""
    heading = " ".join(string_field(data, "heading").strip("#*: ").split())
    supported = (
        heading
        and len(heading.split()) <= MAX_TITLE_WORDS
        and support(heading, vocabulary(*m.source_texts())) >= MIN_SUPPORT
    )
    return m.slide_title or (heading if supported else "") or m.title


def section(
    m: SectionMaterial,
    answers: Mapping[str, str],
    terms: Sequence[str],
    link: Callable[[float], str],
) -> TaughtSection:
    """One section from its JSON answer (missing or broken: fallbacks)."""
    data = json_object(answers.get(section_key(m), ""))
    said, listed = string_field(data, "explanation"), string_list(data, "key_points")
    explained = supported_sentences(m, said)
    model_points = supported_points(m, listed, explained or m.text)
    points = model_points or slide_points(m)
    teaching = escape_markdown(explained or m.text) or "*(no speech)*"
    if points:
        teaching += "\n\n**Key points**\n\n" + "\n".join(f"- {escape_markdown(p)}" for p in points)
    parts = [teaching]
    formulas = formula_markdown(f for s in m.screens for f in s.formulas())
    if formulas:
        parts.append(formulas)
    code = m.code or [c for c in [described_code(m, string_field(data, "code"))] if c]
    questions = _distinct(
        [q for q in (model_question(m, data), cloze_question(m, terms)) if q is not None]
    )
    written = len(_model_sentences(said)) + sum(bool(p.strip()) for p in listed)
    return TaughtSection(
        section=Section(
            title=_heading(m, data),
            start=m.start,
            end=m.end,
            markdown="\n\n".join(parts),
            image_path=m.image_path,
            code=tuple(code),
            # The Q&A in a cell of its own: its quotes (a question and the reply it got)
            # may restate the lecture's text the explanation falls back to.
            extra_cells=_walkthroughs(m)
            + tuple(Cell(v) for v in [m.voices] if v)
            + quiz_cells(questions, link),
        ),
        material=m,
        teaching=teaching,
        questions=questions,
        model_sentences=written,
        kept_sentences=len(sentences(explained)) + len(model_points),
    )


def _walkthroughs(m: SectionMaterial) -> tuple[Cell, ...]:
    """After the slide's code, what it does in the lecture's words (one cell per listing
    the speech talks about)."""
    spoken = [text for _, text in m.spoken]
    notes = [walkthrough_markdown(code_notes(code, spoken), escape_markdown) for code in m.code]
    return tuple(Cell(note) for note in notes if note)


def _distinct(questions: list[Question]) -> tuple[Question, ...]:
    """One question per lecture sentence: two explained by the same sentence would repeat
    it in the answers cell."""
    kept: dict[str, Question] = {}
    for q in questions:
        kept.setdefault(q.explanation, q)
    return tuple(kept.values())


def shown_once(sections: list[TaughtSection]) -> list[TaughtSection]:
    """A keyframe only where it changes and a slide's code only in its first section: a
    slide spanning two sections would otherwise repeat both."""
    shown_code: set[str] = set()
    previous_image = None
    result = []
    for taught in sections:
        s = taught.section
        code = tuple(c for c in s.code if c not in shown_code)
        shown_code.update(code)
        image = s.image_path if s.image_path != previous_image else None
        previous_image = s.image_path or previous_image
        result.append(replace(taught, section=replace(s, code=code, image_path=image)))
    return result
