"""Around the sections: the introduction (abstract, audience and prerequisites, learning
outcomes, a roadmap linking each section's moment in the video) and the conclusion."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

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
from vid2learn_dagster.notebook.materials import TopicMaterial, outline
from vid2learn_dagster.notebook.rendering import VideoSource, clock, escape_markdown, timestamp_url
from vid2learn_dagster.vision.code_detection import code_language


def _lecture_text(materials: Sequence[TopicMaterial]) -> list[str]:
    return [t for m in materials for t in m.source_texts()]


def _without_outline(answer: str, materials: Sequence[TopicMaterial]) -> str:
    """A whole-lecture answer minus lines copied from the outline it was given (SmolLM2
    returned the outline as its "learning outcomes" and "conclusion")."""
    return strip_echo(answer, outline(materials))


def _prose(answer: str, materials: Sequence[TopicMaterial], fallback: str) -> str:
    """Supported sentences of a whole-lecture answer, else fallback."""
    body = without_fenced_blocks(clean_text(_without_outline(answer, materials)))
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
