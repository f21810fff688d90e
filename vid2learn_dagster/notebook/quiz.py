"""Quiz questions about a topic: the model's, kept only when the topic answers them, and a
fill-in-the-blank built from the lecture itself; answers go in a collapsed cell."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vid2learn_dagster.language.grounding import content_words, sentences, support, vocabulary
from vid2learn_dagster.language.llm_output import string_field
from vid2learn_dagster.notebook.materials import TopicMaterial
from vid2learn_dagster.notebook.rendering import Cell, escape_markdown

BLANK = "_____"


@dataclass(frozen=True)
class Question:
    question: str
    answer: str


def model_question(m: TopicMaterial, data: Mapping[str, object]) -> Question | None:
    """The model's quiz question if it asks something the topic answers."""
    question, reply = (" ".join(string_field(data, k).split()) for k in ("question", "answer"))
    source = vocabulary(*m.source_texts())
    asks = question.endswith("?") and 3 <= len(question.split()) <= 30
    answered = 1 <= len(reply.split()) <= 40 and content_words(reply) != content_words(question)
    if asks and answered and support(question, source) >= 0.5 and support(reply, source) >= 0.7:
        return Question(question, reply)
    return None


def cloze_question(m: TopicMaterial) -> Question | None:
    """Fill in the blank: a sentence of the topic with its key term removed.

    The key term is the longest content word that is also on the slide (what the lecturer
    chose to show), else the sentence's longest content word.
    """
    shown = vocabulary(*(s.on_screen_text for s in m.screens))
    candidates = [
        s for s in sentences(m.speech or m.text) if 5 <= len(s.split()) <= 30 and "?" not in s
    ]
    if not candidates:
        return None
    sentence = max(candidates, key=lambda s: (len(content_words(s)), -candidates.index(s)))
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", sentence) if content_words(w)]
    if not words:
        return None
    term = max(words, key=lambda w: (content_words(w)[0] in shown, len(w)))
    blanked = re.sub(rf"\b{re.escape(term)}\b", BLANK, sentence, count=1)
    return Question(f"Fill in the blank: {blanked}", term)


def quiz_cells(questions: Sequence[Question]) -> tuple[Cell, ...]:
    """The questions, then the answers in a collapsed cell (open it after trying)."""
    if not questions:
        return ()
    asked = "\n".join(f"{i}. {escape_markdown(q.question)}" for i, q in enumerate(questions, 1))
    answers = "\n".join(f"{i}. {escape_markdown(q.answer)}" for i, q in enumerate(questions, 1))
    return (
        Cell(f"**Quiz**\n\n{asked}"),
        Cell(f"**Answers** (expand to check)\n\n{answers}", hidden=True),
    )
