"""`video_summary`: the whole video in a few lines (issue 12 item 5): an abstract, keywords
and hashtags, and suggested questions each with an answer and the moments that support it.

Built from what the notebook already checked, so it says nothing the notebook does not:
the abstract is the introduction's, the keywords are the glossary's terms (and the slides'
subjects where the lecture repeats fewer than five terms), and the
questions are the sections' model questions (their answers supported by the section, their
moment the sentence that says so), then "What does “...” mean?" for glossary terms, answered by the
lecture's defining sentence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from vid2learn_dagster.notebook.glossary import Term, subject_of
from vid2learn_dagster.notebook.quiz import BLANK
from vid2learn_dagster.notebook.sections import TaughtSection
from vid2learn_dagster.storage.tables import SCHEMAS

QUESTIONS = 5
MIN_KEYWORDS, MAX_KEYWORDS = 5, 10


@dataclass(frozen=True)
class SuggestedQuestion:
    question: str
    answer: str
    times: tuple[float, ...]  # seconds into the video that support the answer


@dataclass(frozen=True)
class VideoSummary:
    video_id: str
    abstract: str
    keywords: tuple[str, ...]
    questions: tuple[SuggestedQuestion, ...]

    @property
    def hashtags(self) -> list[str]:
        """`#BinarySearch` for "binary search"."""
        return [
            "#" + "".join(w[:1].upper() + w[1:] for w in re.findall(r"[^\W_]+", k))
            for k in self.keywords
        ]

    def table(self) -> pd.DataFrame:
        row = {
            "video_id": self.video_id,
            "abstract": self.abstract,
            "keywords": list(self.keywords),
            "hashtags": self.hashtags,
            "questions": [json.dumps(asdict(q)) for q in self.questions],
        }
        return pd.DataFrame([row], columns=list(SCHEMAS["video_summary"].names))


def video_summary(
    video_id: str, abstract: str, sections: Sequence[TaughtSection], terms: Sequence[Term]
) -> VideoSummary:
    """The summary from the notebook's checked parts (see the module docstring)."""
    asked = [
        SuggestedQuestion(q.question, q.answer, (q.time,))
        for t in sections
        for q in t.questions
        if BLANK not in q.question  # a fill-in-the-blank is an exercise, not a question
    ]
    defined = [
        SuggestedQuestion(f"What does “{t.term}” mean?", t.definition, (t.time,)) for t in terms
    ]
    keywords = [t.term for t in terms]
    if len(keywords) < MIN_KEYWORDS:  # few repeated terms: the slides' subjects too
        keywords += [
            " ".join(re.findall(r"[\w+#-]+", s.lower()))
            for t in sections
            if (s := subject_of(t.material))
        ]
    return VideoSummary(
        video_id=video_id,
        abstract=abstract,
        keywords=tuple(dict.fromkeys(keywords))[:MAX_KEYWORDS],
        questions=tuple((asked + defined)[:QUESTIONS]),
    )
