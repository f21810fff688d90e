"""Around the sections: the introduction (abstract, audience and prerequisites, learning
outcomes, a roadmap linking each section's moment in the video), the glossary and the
conclusion."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from vid2learn_dagster.language.grounding import (
    grounded,
    looks_like_prose,
    sentences,
    support,
    vocabulary,
)
from vid2learn_dagster.language.llm_output import (
    clean_text,
    string_field,
    string_list,
    strip_echo,
    without_fenced_blocks,
)
from vid2learn_dagster.notebook.glossary import Term, subject_of
from vid2learn_dagster.notebook.materials import SectionMaterial, outline
from vid2learn_dagster.notebook.rendering import VideoSource, clock, escape_markdown, timestamp_url
from vid2learn_dagster.vision.code_detection import code_language


def _lecture_text(materials: Sequence[SectionMaterial]) -> list[str]:
    return [t for m in materials for t in m.source_texts()]


def _without_outline(answer: str, materials: Sequence[SectionMaterial]) -> str:
    """A whole-lecture answer minus lines copied from the outline it was given (SmolLM2
    returned the outline as its "learning outcomes" and "conclusion")."""
    return strip_echo(answer, outline(materials))


def _prose(answer: str, materials: Sequence[SectionMaterial], fallback: str) -> str:
    """Supported sentences of a whole-lecture answer, else fallback."""
    body = without_fenced_blocks(clean_text(_without_outline(answer, materials)))
    kept = grounded(body, vocabulary(*_lecture_text(materials)))
    return escape_markdown(kept) if kept else fallback


def _bullets(items: Sequence[str], materials: Sequence[SectionMaterial]) -> list[str]:
    source = vocabulary(*_lecture_text(materials))
    stripped = [
        re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", _without_outline(item, materials)).strip()
        for item in items
    ]
    good = [i for i in dict.fromkeys(stripped) if len(i.split()) >= 3 and support(i, source) >= 0.6]
    return good[:5]


def _audience(answer: str, materials: Sequence[SectionMaterial], title: str) -> str:
    """Who it is for: the model's sentences when they are plausible prose, else a
    statement from what the video shows (prerequisites are rarely said in a lecture, so
    the grounding bar is lower here than for facts)."""
    text = " ".join(
        sentences(without_fenced_blocks(clean_text(_without_outline(answer, materials))))
    )
    plausible = (
        6 <= len(text.split()) <= 80 and len(sentences(text)) <= 4 and looks_like_prose(text)
    )
    if plausible and support(text, vocabulary(*_lecture_text(materials), title)) >= 0.3:
        return escape_markdown(text)
    code = [c for m in materials for c in m.code]
    needs = f"reading short {code_language(code[0])} programs" if code else "no special background"
    return f"Anyone learning about {escape_markdown(title)}. Prerequisites: {needs}."


def _lecturesubject_of(source: VideoSource, materials: Sequence[SectionMaterial]) -> str:
    """What the lecture is about: its first slide's title (a title slide names it), else the
    video's title (for a local file, only its name)."""
    first = subject_of(materials[0]) if materials else ""
    return first or source.title


def abstract(materials: Sequence[SectionMaterial], overview: Mapping[str, object]) -> str:
    """The model's introduction where the lecture supports it, else its first sentences."""
    first_sentences = " ".join(sentences(" ".join(m.speech or m.text for m in materials))[:2])
    return _prose(
        string_field(overview, "introduction"), materials, escape_markdown(first_sentences)
    )


def introduction(
    source: VideoSource,
    materials: Sequence[SectionMaterial],
    titles: Sequence[str],
    overview: Mapping[str, object],
) -> str:
    """Abstract, audience and prerequisites, learning outcomes, roadmap with video links
    (`titles`: each section's heading as the notebook shows it)."""
    outcomes = _bullets(string_list(overview, "outcomes"), materials) or skills(materials)
    roadmap = [
        f"{m.number}. [{escape_markdown(title)}]({timestamp_url(source, m.start)})"
        f" ({clock(m.start)}-{clock(m.end)})"
        for m, title in zip(materials, titles, strict=True)
    ]
    return "\n\n".join(
        [
            "## Introduction",
            abstract(materials, overview) or "*This video has no speech to summarize.*",
            "### Audience and prerequisites",
            _audience(
                string_field(overview, "audience"), materials, _lecturesubject_of(source, materials)
            ),
            "### Learning outcomes\n\nAfter this notebook you can:",
            "\n".join(f"- {escape_markdown(o)}" for o in outcomes) or "- *(no topics found)*",
            "### Roadmap",
            "\n".join(roadmap) or "*(no sections)*",
        ]
    )


def _skill(code: Sequence[str], subject: str) -> str:
    if code:
        return f"Read and write code like the example in “{subject}”"
    if subject.endswith("?"):
        return f"Answer “{subject}”"
    return f"Explain {subject[0].lower()}{subject[1:]}"


def skills(materials: Sequence[SectionMaterial]) -> list[str]:
    """Learning outcomes from the lecture itself, as skills: writing the code a section
    shows, explaining the subject a section's slide names (never "Explain Summary")."""
    found = [_skill(m.code, subject) for m in materials if (subject := subject_of(m))]
    return list(dict.fromkeys(found))[:5]


def glossary_markdown(terms: Sequence[Term], link: Callable[[float], str]) -> str:
    """The glossary: each term with the lecture's sentence that defines it and its moment."""
    if not terms:
        return ""
    lines = [
        f"- **{escape_markdown(t.term)}**: “{escape_markdown(t.definition)}” "
        f"([{clock(t.time)}]({link(t.time)}))"
        for t in terms
    ]
    return "## Glossary\n\n" + "\n".join(lines)


def conclusion(materials: Sequence[SectionMaterial]) -> str:
    """What each section taught, in its own first sentence: a summary of the lecture, not
    a list of its headings. Not the model's: its recap restated its introduction, and
    decoding it cost the notebook's whole batched call 40 steps (issue 12)."""
    if not materials:
        return "## Conclusion\n\n*Nothing to conclude: the video has no topics.*"
    taught = [
        f"- **{escape_markdown(m.title)}**: {escape_markdown(first)}"
        for m in materials
        if subject_of(m) or not m.slide_title
        for first in sentences(m.text or m.speech)[:1]
    ]
    summary = "### What you learned\n\n" + "\n".join(taught) if taught else ""
    return "\n\n".join(part for part in ("## Conclusion", summary) if part)
