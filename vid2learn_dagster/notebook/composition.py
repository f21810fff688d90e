"""The LLM-written notebook: the model's answers in, a complete notebook out, never empty.

One section per topic segment: the slide's title, an explanation, the slide's formula in
`$$`, the code shown on screen (OCR'd or VLM-read) or described by the speaker, and a
short quiz whose answers sit in a collapsed cell. Around them: an introduction and a
conclusion (`overview`).

Every answer is checked before use, and each part has a deterministic fallback built
from the lecture itself: a heading from the slide title, the topic's own text as
explanation, a fill-in-the-blank question from one of its sentences. Whatever the model
writes (not JSON, truncated JSON, nothing), the result is a complete notebook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nbformat import NotebookNode

from vid2learn_dagster.language.llm_output import json_object
from vid2learn_dagster.notebook.materials import TopicMaterial
from vid2learn_dagster.notebook.overview import conclusion, introduction
from vid2learn_dagster.notebook.prompts import OVERVIEW
from vid2learn_dagster.notebook.rendering import Section, VideoSource, render_notebook
from vid2learn_dagster.notebook.sections import section, shown_once


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
        sections=shown_once([section(m, answers) for m in materials]),
        conclusion_markdown=conclusion(materials, overview),
    )
