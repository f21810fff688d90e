"""Multiple-choice questions that test understanding of a section (issue 12 item 3).

Two sources, each checked before use:
- the model's question, kept when exactly one of its 3-4 distinct options is the answer,
  the section's own speech and slides support question and answer, and the options do
  not all say the same;
- a question built from the lecture itself: one of the section's sentences with its key
  term blanked, the term among terms the lecture uses elsewhere (the distractors).

Neither is built on a word the transcript is unsure of or that the term correction
changed (`SectionMaterial.doubtful`): a question about a mis-heard word teaches the
mistake ("Minor research cuts the _____ in half"). Every answer is explained by the
lecture sentence that supports it, with the moment it is said; answers sit in a
collapsed cell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

from vid2learn_dagster.language.grounding import content_words, sentences, support, vocabulary
from vid2learn_dagster.language.llm_output import string_field, string_list
from vid2learn_dagster.notebook.materials import TERM, SectionMaterial
from vid2learn_dagster.notebook.rendering import Cell, clock, escape_markdown

BLANK = "_____"
MIN_OPTIONS, MAX_OPTIONS = 3, 4
LETTERS = "ABCD"


@dataclass(frozen=True)
class Question:
    """A multiple-choice question: exactly one of `options` (the one at `correct`) is right;
    `explanation` is the lecture's sentence that says so, spoken at `time` seconds."""

    question: str
    options: tuple[str, ...]
    correct: int
    explanation: str
    time: float

    @property
    def answer(self) -> str:
        return self.options[self.correct]

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Question:
        data = json.loads(text)
        return cls(**{**data, "options": tuple(data["options"])})


def _words(text: str) -> set[str]:
    return {w.lower() for w in TERM.findall(text)}


def _said_at(m: SectionMaterial, sentence: str) -> float:
    """When the section says `sentence`: the start of the chunk whose speech holds it."""
    return next((start for start, text in m.spoken if sentence in text), m.start)


def _best_evidence(m: SectionMaterial, claim: str) -> str:
    """The section's spoken sentence sharing most content words with `claim`."""
    wanted = set(content_words(claim))
    said = sentences(m.speech or m.text)
    return max(said, key=lambda s: len(wanted & set(content_words(s))), default="")


def model_question(m: SectionMaterial, data: Mapping[str, object]) -> Question | None:
    """The model's multiple-choice question, if it is well formed and the section answers it."""
    question = " ".join(string_field(data, "question").split())
    options = [" ".join(o.split()) for o in string_list(data, "options")]
    answer = " ".join(string_field(data, "answer").split())
    distinct = {o.lower() for o in options}
    if not (MIN_OPTIONS <= len(options) <= MAX_OPTIONS and len(distinct) == len(options)):
        return None
    matches = [i for i, o in enumerate(options) if o.lower() == answer.lower()]
    source = vocabulary(*m.source_texts())
    asks = question.endswith("?") and 3 <= len(question.split()) <= 30
    if len(matches) != 1 or not asks or any(len(o.split()) > 15 for o in options):
        return None
    if support(question, source) < 0.5 or support(answer, source) < 0.7:
        return None
    if (_words(question) | _words(answer)) & m.doubtful:
        return None
    evidence = _best_evidence(m, f"{question} {answer}")
    if not evidence or not set(content_words(answer)) & set(content_words(evidence)):
        return None  # nothing the lecture says explains the answer
    return Question(question, tuple(options), matches[0], evidence, _said_at(m, evidence))


def cloze_question(m: SectionMaterial, lecture_terms: Mapping[str, bool]) -> Question | None:
    """One of the section's sentences with its key term blanked; the options are that term
    and terms the lecture uses elsewhere (`lecture_terms`): shown on a slide first (a term
    the lecturer chose to show is a plausible answer; "otherwise" is not), then of the most
    similar length. The key term is the longest content word also on the slide
    (what the lecturer chose to show), else the sentence's longest content word."""
    shown = vocabulary(*(s.on_screen_text for s in m.screens))
    candidates = [
        s
        for s in sentences(m.speech or m.text)
        if 5 <= len(s.split()) <= 30 and "?" not in s and not _words(s) & m.doubtful
    ]
    if not candidates:
        return None
    sentence = max(candidates, key=lambda s: (len(content_words(s)), -candidates.index(s)))
    words = [w for w in TERM.findall(sentence) if content_words(w)]
    if not words:
        return None
    term = max(words, key=lambda w: (content_words(w)[0] in shown, len(w)))
    in_sentence = set(content_words(sentence))
    others = [
        t
        for t in lecture_terms
        if content_words(t) and content_words(t)[0] not in in_sentence and t not in m.doubtful
    ]
    distractors = sorted(others, key=lambda t: (not lecture_terms[t], abs(len(t) - len(term))))[
        : MAX_OPTIONS - 1
    ]
    if len(distractors) < MIN_OPTIONS - 1:
        return None
    # In alphabetical order: the answer's place varies between questions (not always A)
    # and is the same on every run (a notebook re-rendered is the same file).
    options = sorted([term.lower(), *(d.lower() for d in distractors)])
    blanked = re.sub(rf"\b{re.escape(term)}\b", BLANK, sentence, count=1)
    return Question(
        f"Fill in the blank: {blanked}",
        tuple(options),
        options.index(term.lower()),
        sentence,
        _said_at(m, sentence),
    )


def lecture_terms(materials: Sequence[SectionMaterial]) -> dict[str, bool]:
    """The lecture's terms for distractors, lowercase, each with whether a slide shows it:
    content words on its slides, then in its speech; words the transcript doubts are left
    out by the caller."""
    shown = [w for m in materials for s in m.screens for w in TERM.findall(s.on_screen_text)]
    said = [w for m in materials for w in TERM.findall(m.speech)]
    on_slides = {w.lower() for w in shown}
    terms = dict.fromkeys(w.lower() for w in shown + said if len(w) > 3 and content_words(w))
    return {t: t in on_slides for t in terms}


def quiz_cells(questions: Sequence[Question], link: Callable[[float], str]) -> tuple[Cell, ...]:
    """The questions with lettered options, then the answers with the lecture's sentence
    and a link to its moment, in a collapsed cell (open it after trying)."""
    if not questions:
        return ()
    asked, answers = [], []
    for number, q in enumerate(questions, 1):
        options = "\n".join(
            f"   - {LETTERS[i]}) {escape_markdown(o)}" for i, o in enumerate(q.options)
        )
        asked.append(f"{number}. {escape_markdown(q.question)}\n{options}")
        answers.append(
            f"{number}. **{LETTERS[q.correct]}) {escape_markdown(q.answer)}**: "
            f"“{escape_markdown(q.explanation)}” ([{clock(q.time)}]({link(q.time)}))"
        )
    return (
        Cell("**Quiz**\n\n" + "\n".join(asked)),
        Cell("**Answers** (expand to check)\n\n" + "\n".join(answers), hidden=True),
    )
