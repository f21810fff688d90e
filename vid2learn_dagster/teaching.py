"""The LLM-written notebook: prompts in, parsed sections out, never empty.

One section per topic segment: the slide's title, an explanation, the slide's formula in
`$$`, the code shown on screen (OCR'd or VLM-read) or described by the speaker, and a
short quiz whose answers sit in a collapsed cell. Around them: an introduction (abstract,
audience and prerequisites, learning outcomes, a roadmap linking each section's moment in
the video) and a conclusion.

Issue 9: one structured (JSON) prompt per topic returns its heading, explanation, quiz
and described code, and one prompt per video returns the introduction, audience,
outcomes and conclusion, so no text is sent to the model twice; all of them go out in one
batched call. Every answer is checked before use, and each part has a deterministic
fallback built from the lecture itself: a heading from the slide title, the topic's own
text as explanation, a fill-in-the-blank question from one of its sentences. Whatever
the model writes (not JSON, truncated JSON, nothing), the result is a complete notebook.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from nbformat import NotebookNode

from vid2learn_dagster.generation import LLMTask, Messages
from vid2learn_dagster.grounding import (
    content_words,
    grounded,
    identifiers_supported,
    looks_like_prose,
    sentences,
    support,
    vocabulary,
)
from vid2learn_dagster.llm_output import (
    clean_text,
    json_object,
    string_field,
    string_list,
    strip_echo,
)
from vid2learn_dagster.notebook import (
    Cell,
    Section,
    VideoSource,
    clock,
    escape_markdown,
    render_notebook,
    timestamp_url,
)
from vid2learn_dagster.prompting import render
from vid2learn_dagster.speakers import main_speaker, other_voices_markdown
from vid2learn_dagster.visual import code_language, looks_like_code

# Per topic; string lengths bound what a looping model can cost (guided decoding stops
# a string there), and "code" comes last so a cut-off answer loses only the code.
SECTION_SCHEMA = {
    "type": "object",
    "properties": {
        "heading": {"type": "string", "maxLength": 80},
        "explanation": {"type": "string", "maxLength": 700},
        "question": {"type": "string", "maxLength": 200},
        "answer": {"type": "string", "maxLength": 160},
        "code": {"type": "string", "maxLength": 700},
    },
    "required": ["heading", "explanation", "question", "answer", "code"],
}
# Per video, from the outline.
OVERVIEW_SCHEMA = {
    "type": "object",
    "properties": {
        "introduction": {"type": "string", "maxLength": 400},
        "audience": {"type": "string", "maxLength": 300},
        "outcomes": {
            "type": "array",
            "items": {"type": "string", "maxLength": 120},
            "maxItems": 5,
        },
        "conclusion": {"type": "string", "maxLength": 400},
    },
    "required": ["introduction", "audience", "outcomes", "conclusion"],
}
# One call for both kinds of prompt, so the overview decodes alongside the sections
# instead of alone after them; each prompt names its keys, which picks the branch.
NOTEBOOK = LLMTask(
    prompts=("notebook_intro", "notebook_topic"),
    # 256 fits a section's five short fields; measured answers ran 150-200 tokens, and the
    # notebook was the costliest language stage on a held-out lecture (issue 9).
    max_new_tokens=256,
    json_schema={"anyOf": [SECTION_SCHEMA, OVERVIEW_SCHEMA]},
)
TASKS = (NOTEBOOK,)
OVERVIEW = "overview"
# The "code" field's instruction: write the program a topic describes, unless its slides
# show code already (then the model need not spend tokens on it).
_WRITE_CODE = (
    "the short Python program the text describes, or an empty string if it describes none."
)
_NO_CODE = "an empty string (the slide already shows the code)."

BLANK = "_____"
MAX_TITLE_WORDS = 10
# Formula lines on a slide: math symbols only, with an equals sign (OCR of a rendered
# fraction yields symbol soup, which this rejects rather than printing it as a formula).
# A fenced block, closed or cut off by the token limit.
_FENCE = re.compile(r"```[\w+-]*[ \t]*\n?(.*?)(?:```|$)", re.DOTALL)
# ...and none of a program's signs (an `=` alone is both math and code): comparisons,
# walrus, calls or attribute access on multi-letter names.
_PROGRAM = re.compile(r"==|:=|!=|[A-Za-z_]{3,}[.(]")
_FORMULA = re.compile(r"^[\w\s+\-*/=^().,|\\{}\[\]<>≤≥±√∑πΣ·\u00d7÷…]+$")


@dataclass(frozen=True)
class Screen:
    """A keyframe as the notebook uses it (a row of `visual_descriptions`)."""

    on_screen_text: str = ""
    code: str = ""
    description: str = ""

    @property
    def title(self) -> str:
        """The slide's first line when it reads like a title (short prose, not code)."""
        first = self.on_screen_text.strip().splitlines()[0].strip() if self.on_screen_text else ""
        words = first.split()
        if not words or len(words) > MAX_TITLE_WORDS or first.startswith(("-", "*", "•")):
            return ""
        return "" if looks_like_code(first) or first in self.code else first

    def formulas(self) -> list[str]:
        lines = self.on_screen_text.splitlines()[1:]
        code = set(self.code.splitlines())
        return [
            line.strip()
            for line in lines
            if "=" in line
            and line not in code
            and not line.lstrip().startswith(("-", "*", "•"))
            and _FORMULA.match(line)
            and not _PROGRAM.search(line)
        ]


@dataclass(frozen=True)
class TopicMaterial:
    """Everything the notebook knows about one topic segment."""

    number: int
    start: float
    end: float
    text: str  # the blended text (topic_segments.text)
    speech: str  # the cleaned speech of its chunks
    screens: tuple[Screen, ...] = ()
    image_path: Path | None = None
    voices: str = ""  # other speakers' words, quoted (speakers.other_voices_markdown)

    @property
    def slide_title(self) -> str:
        return next((s.title for s in self.screens if s.title), "")

    @property
    def title(self) -> str:
        return self.slide_title or f"Part {self.number}"

    @property
    def code(self) -> list[str]:
        """Code shown on the topic's slides, each listing once, in order."""
        return list(dict.fromkeys(s.code.strip("\n") for s in self.screens if s.code.strip()))

    def source_texts(self) -> list[str]:
        return [self.text, self.speech, *(s.on_screen_text for s in self.screens)]


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def topic_materials(
    topics: pd.DataFrame, chunks: pd.DataFrame, rewritten: pd.DataFrame, visuals: pd.DataFrame
) -> list[TopicMaterial]:
    """Join the stage tables per topic (chunks' `image_path` already local)."""
    chunk_rows = {int(r["chunk_id"]): r for r in chunks.to_dict("records")}
    speech = dict(zip(rewritten["chunk_id"].astype(int), rewritten["text"], strict=True))
    screens = {
        int(r["scene"]): Screen(
            _text(r["on_screen_text"]), _text(r["code"]), _text(r["description"])
        )
        for r in visuals.to_dict("records")
    }
    materials = []
    main = main_speaker(chunks)
    ordered = topics.sort_values("start", kind="stable")
    for number, topic in enumerate(ordered.to_dict("records"), start=1):
        ids = [int(i) for i in topic["chunk_ids"] if int(i) in chunk_rows]
        scenes = list(dict.fromkeys(int(chunk_rows[i]["scene"]) for i in ids))
        images = [_text(chunk_rows[i]["image_path"]) for i in ids]
        materials.append(
            TopicMaterial(
                number=number,
                start=float(topic["start"]),
                end=float(topic["end"]),
                text=_text(topic["text"]).strip(),
                speech=" ".join(_text(speech.get(i)).strip() for i in ids).strip(),
                screens=tuple(screens[s] for s in scenes if s in screens),
                image_path=Path(images[0]) if images and images[0] else None,
                voices=other_voices_markdown(chunks[chunks["chunk_id"].isin(ids)], main),
            )
        )
    return materials


def outline(materials: Sequence[TopicMaterial]) -> str:
    """Numbered topics with their first sentence: the context of the whole-lecture prompts."""
    lines = []
    for m in materials:
        first = next(iter(sentences(m.text)), "")
        lines.append(f"{m.number}. {m.title}: {first}".rstrip(": "))
    return "\n".join(lines)


def topic_key(m: TopicMaterial) -> str:
    return f"topic:{m.number}"


def notebook_prompts(materials: Sequence[TopicMaterial]) -> dict[str, Messages]:
    """Prompts by key: the overview (from the outline), then one per topic with text."""
    prompts: dict[str, Messages] = {}
    if materials:
        prompts[OVERVIEW] = render("notebook_intro", outline=outline(materials))
    for m in materials:
        if m.text:
            code = _NO_CODE if m.code else _WRITE_CODE
            prompts[topic_key(m)] = render("notebook_topic", text=m.text, code=code)
    return prompts


# --- parsing model answers, each with its fallback ----------------------------------------


def explanation(m: TopicMaterial, text: str) -> str:
    """The model's supported sentences about the topic, else the topic's own text."""
    kept = grounded(_FENCE.sub("", clean_text(text)), vocabulary(*m.source_texts()))
    return kept or m.text


def described_code(m: TopicMaterial, text: str) -> str:
    """Code the model wrote for a program the speaker described, if it is real Python
    whose names occur in the lecture (a small model invents helpers); else ""."""
    match = _FENCE.search(text)
    code = (match.group(1) if match else text).strip()
    if not code:
        return ""
    try:
        ast.parse(code)
    except SyntaxError:
        return ""
    return code if identifiers_supported(code, m.source_texts()) else ""


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


def formula_markdown(screens: Sequence[Screen]) -> str:
    """Formulas read off the slides as display math."""
    blocks = []
    for formula in dict.fromkeys(f for s in screens for f in s.formulas()):
        latex = formula if "\\" in formula else _latex(formula)
        blocks.append(f"$$\n{latex}\n$$")
    return "\n\n".join(blocks)


def _latex(formula: str) -> str:
    """Plain-text math as LaTeX: `x1` -> `x_{1}`, `xn` -> `x_{n}` (index letters only, so
    words stay words), `...` -> `\\dots`, `*` -> `\\cdot`."""
    latex = re.sub(r"\b([A-Za-z])(\d+|[ijkmn])\b(?!\()", r"\1_{\2}", formula)
    return latex.replace("...", r"\dots").replace("…", r"\dots").replace("*", r"\cdot ")


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
    formulas = formula_markdown(m.screens)
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


def _lecture_text(materials: Sequence[TopicMaterial]) -> list[str]:
    return [t for m in materials for t in m.source_texts()]


def _without_outline(answer: str, materials: Sequence[TopicMaterial]) -> str:
    """A whole-lecture answer minus lines copied from the outline it was given (SmolLM2
    returned the outline as its "learning outcomes" and "conclusion")."""
    return strip_echo(answer, outline(materials))


def _prose(answer: str, materials: Sequence[TopicMaterial], fallback: str) -> str:
    """Supported sentences of a whole-lecture answer, else fallback."""
    body = _FENCE.sub("", clean_text(_without_outline(answer, materials)))
    kept = grounded(body, vocabulary(*_lecture_text(materials)))
    return escape_markdown(kept) if kept else fallback


def _bullets(items: Sequence[str], materials: Sequence[TopicMaterial]) -> list[str]:
    source = vocabulary(*_lecture_text(materials))
    stripped = [
        re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", _without_outline(item, materials)).strip()
        for item in items
    ]
    good = [i for i in dict.fromkeys(stripped) if len(i.split()) >= 3 and support(i, source) >= 0.6]
    return good[:5]


def _audience(answer: str, materials: Sequence[TopicMaterial], title: str) -> str:
    """Who it is for: the model's sentences when they are plausible prose, else a
    statement from what the video shows (prerequisites are rarely said in a lecture, so
    the grounding bar is lower here than for facts)."""
    text = " ".join(sentences(_FENCE.sub("", clean_text(_without_outline(answer, materials)))))
    plausible = (
        6 <= len(text.split()) <= 80 and len(sentences(text)) <= 4 and looks_like_prose(text)
    )
    if plausible and support(text, vocabulary(*_lecture_text(materials), title)) >= 0.3:
        return escape_markdown(text)
    code = [c for m in materials for c in m.code]
    needs = f"reading short {code_language(code[0])} programs" if code else "no special background"
    return f"Anyone learning about {escape_markdown(title)}. Prerequisites: {needs}."


def introduction(
    source: VideoSource, materials: Sequence[TopicMaterial], overview: Mapping[str, object]
) -> str:
    """Abstract, audience and prerequisites, learning outcomes, roadmap with video links."""
    first_sentences = " ".join(sentences(" ".join(m.speech or m.text for m in materials))[:2])
    abstract = _prose(
        string_field(overview, "introduction"), materials, escape_markdown(first_sentences)
    )
    outcomes = _bullets(string_list(overview, "outcomes"), materials) or list(
        dict.fromkeys(f"Explain {m.title}" for m in materials)
    )
    roadmap = [
        f"{m.number}. [{escape_markdown(m.title)}]({timestamp_url(source, m.start)})"
        f" ({clock(m.start)}-{clock(m.end)})"
        for m in materials
    ]
    return "\n\n".join(
        [
            "## Introduction",
            abstract or "*This video has no speech to summarize.*",
            "### Audience and prerequisites",
            _audience(string_field(overview, "audience"), materials, source.title),
            "### Learning outcomes\n\nAfter this notebook you can:",
            "\n".join(f"- {escape_markdown(o)}" for o in outcomes) or "- *(no topics found)*",
            "### Roadmap",
            "\n".join(roadmap) or "*(no sections)*",
        ]
    )


def conclusion(materials: Sequence[TopicMaterial], overview: Mapping[str, object]) -> str:
    """The model's recap (if supported), then always the list of what was covered."""
    if not materials:
        return "## Conclusion\n\n*Nothing to conclude: the video has no topics.*"
    recap = "; ".join(dict.fromkeys(m.title for m in materials))
    covered = escape_markdown(f"This video covered: {recap}.")
    text = _prose(string_field(overview, "conclusion"), materials, "")
    return "\n\n".join(part for part in ("## Conclusion", text, covered) if part)


@dataclass(frozen=True)
class TeachingNotebook:
    source: VideoSource
    intro_markdown: str
    sections: list[Section]
    conclusion_markdown: str

    def render(self) -> NotebookNode:
        """The nbformat notebook: title, introduction, sections, conclusion."""
        return render_notebook(
            self.source,
            self.sections,
            intro_markdown=self.intro_markdown,
            conclusion_markdown=self.conclusion_markdown,
        )

    @property
    def quizzes(self) -> int:
        return sum(any(c.hidden for c in s.extra_cells) for s in self.sections)

    @property
    def code_cells(self) -> int:
        return sum(len(s.code) for s in self.sections)


def compose_notebook(
    source: VideoSource, materials: Sequence[TopicMaterial], answers: Mapping[str, str]
) -> TeachingNotebook:
    """The notebook's parts from the model's answers by prompt key (any may be missing)."""
    overview = json_object(answers.get(OVERVIEW, ""))
    return TeachingNotebook(
        source=source,
        intro_markdown=introduction(source, materials, overview),
        sections=_shown_once([section(m, answers) for m in materials]),
        conclusion_markdown=conclusion(materials, overview),
    )


def _shown_once(sections: list[Section]) -> list[Section]:
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
