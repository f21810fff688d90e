"""What the notebook knows about each topic: the stage tables joined per topic segment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vid2learn_dagster.language.grounding import sentences
from vid2learn_dagster.notebook.formulas import formula_lines
from vid2learn_dagster.speech.speakers import main_speaker, other_voices_markdown
from vid2learn_dagster.vision.code_detection import looks_like_code

MAX_TITLE_WORDS = 10


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
        return formula_lines(self.on_screen_text, self.code)


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
