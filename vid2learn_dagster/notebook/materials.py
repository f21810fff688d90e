"""What the notebook knows about each section: the stage tables joined per section, whose
bounds come from the lecture's slides first and from its topic shifts where slides are few
(issue 12)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vid2learn_dagster.alignment.chunking import NO_SCENE
from vid2learn_dagster.alignment.term_correction import TermSettings
from vid2learn_dagster.language.grounding import sentences
from vid2learn_dagster.notebook.formulas import formula_lines
from vid2learn_dagster.notebook.titles import (
    readable_title,
    said_words,
    same_title,
    screen_furniture,
    speech_title,
    without_furniture,
)
from vid2learn_dagster.speech.speakers import main_speaker, other_voices_markdown
from vid2learn_dagster.vision.descriptions import screen_title

# Whisper's word probability under which a word counts as uncertain: the level at which
# the term correction already treats a word as unsure (`TermSettings.unsure_below`).
UNSURE_BELOW = TermSettings().unsure_below
# A word of the lecture as the quiz, the glossary and the doubtful words see it.
TERM = re.compile(r"[A-Za-z][A-Za-z'-]+")
# Where one slide stays up for long, a section still ends within about five minutes:
# topic segmentation sees a long slide in units of several chunks, too coarse alone.
MAX_SECTION_SECONDS = 300.0


@dataclass(frozen=True)
class Screen:
    """A keyframe as the notebook uses it (a row of `visual_descriptions`)."""

    on_screen_text: str = ""
    code: str = ""
    description: str = ""
    read_title: str = ""  # the title the vision stage saw (set larger), "" if none

    @property
    def title(self) -> str:
        return screen_title(self.read_title, self.on_screen_text, self.code)

    def formulas(self) -> list[str]:
        return formula_lines(self.on_screen_text, self.code)


@dataclass(frozen=True)
class SectionMaterial:
    """Everything the notebook knows about one section: a slide (or run of slides under
    one title), or a stretch of speech between two topic shifts where slides are few."""

    number: int
    start: float
    end: float
    text: str  # the blended text of its chunks
    speech: str  # the cleaned speech of its chunks
    screens: tuple[Screen, ...] = ()
    image_path: Path | None = None
    voices: str = ""  # other speakers' words, quoted (speakers.other_voices_markdown)
    chunk_ids: tuple[int, ...] = ()
    slide_title: str = ""  # the slide's own title, when it is words (notebook.titles)
    spoken: tuple[tuple[float, str], ...] = ()  # (start, cleaned speech) per chunk
    # Words no quiz may rest on: heard with low confidence, or changed by term correction.
    doubtful: frozenset[str] = frozenset()

    @property
    def title(self) -> str:
        """The slide's title, else one written from the speech (`titles.speech_title`)."""
        return self.slide_title or speech_title(self.speech or self.text) or "Untitled"

    @property
    def code(self) -> list[str]:
        """Code shown on the section's slides, each listing once, in order."""
        return list(dict.fromkeys(s.code.strip("\n") for s in self.screens if s.code.strip()))

    def source_texts(self) -> list[str]:
        return [self.text, self.speech, *(s.on_screen_text for s in self.screens)]


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


@dataclass
class _Run:
    """A section being gathered: its chunks in order and the slide title it stands under."""

    title: str
    start: float
    chunk_ids: list[int] = field(default_factory=list)


def _section_runs(
    ordered: list[dict], titles: dict[int, str], topic_of: dict[int, int]
) -> list[_Run]:
    """Chunks in time order grouped into sections, by the rule issue 12 asks for:

    - a slide with a title different from the section's starts a new section (slides with
      different titles are never merged);
    - a slide under the same title continues it (an incremental build, a "continued" slide);
    - a slide without a readable title continues the section while the speech stays on its
      topic (`topic_segments` says so) and starts one where the topic shifts;
    - inside one long slide (a talking head, a whiteboard, one static image for an hour) a
      topic shift starts a section, titled from its speech, and so does the first chunk
      after `MAX_SECTION_SECONDS` where the topic never shifts.
    """
    runs: list[_Run] = []
    previous: dict | None = None
    for chunk in ordered:
        chunk_id, scene = int(chunk["chunk_id"]), int(chunk["scene"])
        title = titles.get(scene, "")
        shifted = previous is not None and topic_of.get(chunk_id) != topic_of.get(
            int(previous["chunk_id"])
        )
        same_slide = previous is not None and scene == int(previous["scene"]) != NO_SCENE
        long = bool(runs) and float(chunk["start"]) - runs[-1].start >= MAX_SECTION_SECONDS
        if not runs:
            runs.append(_Run(title, float(chunk["start"])))
        elif same_slide:
            if shifted or long:
                runs.append(_Run("", float(chunk["start"])))
        elif title and not same_title(title, runs[-1].title):
            runs.append(_Run(title, float(chunk["start"])))
        elif not title and shifted:
            runs.append(_Run("", float(chunk["start"])))
        runs[-1].chunk_ids.append(chunk_id)
        previous = chunk
    return runs


def _slide_titles(
    screens: dict[int, Screen], said: frozenset[str], language: str
) -> dict[int, str]:
    """Each slide's readable title; a title OCR misread on one keyframe of a slide
    ("Binary searcn") is that slide's title as read elsewhere, not a new one."""
    readable = {n: s.title for n, s in screens.items() if readable_title(s.title, said, language)}
    known = list(dict.fromkeys(readable.values()))
    for n, s in screens.items():
        if n not in readable and s.title:
            readable[n] = next((t for t in known if same_title(t, s.title)), "")
    return {n: t for n, t in readable.items() if t}


def doubtful_words(
    words: pd.DataFrame, corrections: pd.DataFrame, start: float, end: float
) -> frozenset[str]:
    """Lowercase words between `start` and `end` that Whisper heard with a probability under
    `UNSURE_BELOW`, and the words the term correction replaced or wrote there."""

    def within(table: pd.DataFrame) -> pd.DataFrame:
        return table[(table["end"] > start) & (table["start"] < end)]

    unsure = within(words)
    texts = [
        *unsure.loc[unsure["probability"] < UNSURE_BELOW, "word"],
        *within(corrections)["heard"],
        *within(corrections)["corrected"],
    ]
    return frozenset(w.lower() for text in texts for w in TERM.findall(_text(text)))


def section_materials(
    topics: pd.DataFrame,
    chunks: pd.DataFrame,
    blended: pd.DataFrame,
    rewritten: pd.DataFrame,
    visuals: pd.DataFrame,
    words: pd.DataFrame,
    corrections: pd.DataFrame,
    language: str = "en",
) -> list[SectionMaterial]:
    """Join the stage tables per section (chunks' `image_path` already local);
    `words` and `corrections` are the `transcript_words` and `term_corrections` tables."""
    furniture = screen_furniture([_text(t) for t in visuals["on_screen_text"]])
    screens = {
        int(r["scene"]): Screen(
            without_furniture(_text(r["on_screen_text"]), furniture),
            _text(r["code"]),
            _text(r["description"]),
            _text(r.get("title")),
        )
        for r in visuals.to_dict("records")
    }
    said = said_words(_text(t) for t in chunks["text"])
    titles = _slide_titles(screens, said, language)
    topic_of = {
        int(i): int(t["topic_id"]) for t in topics.to_dict("records") for i in t["chunk_ids"]
    }
    blended_text = dict(zip(blended["chunk_id"].astype(int), blended["text"], strict=True))
    speech = dict(zip(rewritten["chunk_id"].astype(int), rewritten["text"], strict=True))
    ordered = chunks.sort_values(["start", "chunk_id"], kind="stable").to_dict("records")
    rows = {int(r["chunk_id"]): r for r in ordered}
    main = main_speaker(chunks)
    materials = []
    for number, run in enumerate(_section_runs(ordered, titles, topic_of), start=1):
        ids = run.chunk_ids
        start, end = float(rows[ids[0]]["start"]), float(rows[ids[-1]]["end"])
        scenes = list(dict.fromkeys(int(rows[i]["scene"]) for i in ids))
        images = [_text(rows[i]["image_path"]) for i in ids if _text(rows[i]["image_path"])]
        materials.append(
            SectionMaterial(
                number=number,
                start=start,
                end=end,
                text=" ".join(_text(blended_text.get(i)).strip() for i in ids).strip(),
                speech=" ".join(_text(speech.get(i)).strip() for i in ids).strip(),
                screens=tuple(screens[s] for s in scenes if s in screens),
                image_path=Path(images[0]) if images else None,
                voices=other_voices_markdown(chunks[chunks["chunk_id"].isin(ids)], main),
                chunk_ids=tuple(ids),
                slide_title=run.title,
                spoken=tuple((float(rows[i]["start"]), _text(speech.get(i)).strip()) for i in ids),
                doubtful=doubtful_words(words, corrections, start, end),
            )
        )
    return materials


# Words of a topic's first sentence in the outline: every prompt of the notebook's batched
# call is padded to the longest, the outline's prompt (issue 12's real-time budget).
OUTLINE_WORDS = 12


def outline(materials: Sequence[SectionMaterial]) -> str:
    """Numbered topics with the start of their first sentence: the context of the
    whole-lecture prompt."""
    lines = []
    for m in materials:
        words = next(iter(sentences(m.text)), "").split()
        first = " ".join(words[:OUTLINE_WORDS]) + (" ..." if len(words) > OUTLINE_WORDS else "")
        lines.append(f"{m.number}. {m.title}: {first}".rstrip(": "))
    return "\n".join(lines)
