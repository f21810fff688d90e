"""The LLM-written notebook: the model's answers in, a complete notebook out, never empty.

One section per slide title (or per topic shift where slides are few): the slide's title,
an explanation and key points, the slide's formula in `$$`, the code shown on screen
(OCR'd or VLM-read) or described by the speaker, and a multiple-choice quiz whose answers
sit in a collapsed cell. Around them: an introduction and a
conclusion (`overview`).

Every answer is checked before use, and each part has a deterministic fallback built
from the lecture itself: a heading from the slide title, the topic's own text as
explanation, a fill-in-the-blank question from one of its sentences. Whatever the model
writes (not JSON, truncated JSON, nothing), the result is a complete notebook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from nbformat import NotebookNode

from vid2learn_dagster.language.llm_output import json_object
from vid2learn_dagster.notebook.glossary import glossary
from vid2learn_dagster.notebook.materials import SectionMaterial
from vid2learn_dagster.notebook.overview import (
    abstract,
    conclusion,
    glossary_markdown,
    introduction,
)
from vid2learn_dagster.notebook.prompts import OVERVIEW
from vid2learn_dagster.notebook.quiz import lecture_terms
from vid2learn_dagster.notebook.rendering import VideoSource, render_notebook, timestamp_url
from vid2learn_dagster.notebook.sections import TaughtSection, section, shown_once
from vid2learn_dagster.notebook.summary import VideoSummary, video_summary
from vid2learn_dagster.storage.tables import SCHEMAS


@dataclass(frozen=True)
class TeachingNotebook:
    source: VideoSource
    intro_markdown: str
    sections: list[TaughtSection]
    glossary_markdown: str
    conclusion_markdown: str
    summary: VideoSummary

    def render(self) -> NotebookNode:
        """The nbformat notebook: title, introduction, sections, glossary, conclusion."""
        return render_notebook(
            self.source,
            [t.section for t in self.sections],
            intro_markdown=self.intro_markdown,
            glossary_markdown=self.glossary_markdown,
            conclusion_markdown=self.conclusion_markdown,
        )

    @property
    def quizzes(self) -> int:
        return sum(len(t.questions) for t in self.sections)

    @property
    def code_cells(self) -> int:
        return sum(len(t.section.code) for t in self.sections)

    def sections_table(self) -> pd.DataFrame:
        """The `notebook_sections` rows: what each section says and what supports it."""
        return pd.DataFrame(
            [
                {
                    "video_id": self.source.video_id,
                    "section": number,
                    "title": t.section.title,
                    "start": t.section.start,
                    "end": t.section.end,
                    "chunk_ids": list(t.material.chunk_ids),
                    "text": t.teaching,
                    "code": list(t.section.code),
                    "questions": [q.to_json() for q in t.questions],
                    "model_sentences": t.model_sentences,
                    "kept_sentences": t.kept_sentences,
                }
                for number, t in enumerate(self.sections, start=1)
            ],
            columns=list(SCHEMAS["notebook_sections"].names),
        )


def compose_notebook(
    source: VideoSource, materials: Sequence[SectionMaterial], answers: Mapping[str, str]
) -> TeachingNotebook:
    """The notebook's parts from the model's answers by prompt key (any may be missing)."""
    overview = json_object(answers.get(OVERVIEW, ""))
    distractors = lecture_terms(materials)

    def link(seconds: float) -> str:
        return timestamp_url(source, seconds)

    sections = shown_once([section(m, answers, distractors, link) for m in materials])
    terms = glossary(materials)
    return TeachingNotebook(
        source=source,
        intro_markdown=introduction(
            source, materials, [t.section.title for t in sections], overview
        ),
        sections=sections,
        glossary_markdown=glossary_markdown(terms, link),
        conclusion_markdown=conclusion(materials),
        summary=video_summary(source.video_id, abstract(materials, overview), sections, terms),
    )
