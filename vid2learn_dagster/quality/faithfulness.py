"""Is the notebook faithful to the lecture? The measure behind the `notebook_faithful` check
(issue 12 item 6).

A notebook sentence is supported when at least `MIN_SUPPORT` of its content words occur in
what its own section's chunks say (the transcript) or its slides show: the grounding rule
the notebook already applies to the model's sentences, scored here on what was written,
against the section's sources only. The section scope is what catches a false statement
made of the lecture's own words: "binary search uses a list comprehension and returns
the square of the middle element" is made of words another section uses, not the binary
search section's. Quiz answers are scored the same way, and code cells must parse
(`ast.parse`; the pipeline never runs generated code).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from vid2learn_dagster.language.grounding import MIN_SUPPORT, sentences, support, vocabulary
from vid2learn_dagster.quality.checks import CheckOutcome

# The share of notebook sentences that must be supported for the check to pass.
MIN_SUPPORTED_SHARE = 0.9
_MARKDOWN = re.compile(r"\\(.)|^\s*[-*]\s+|\*\*[^*]+\*\*", re.MULTILINE)


def plain_sentences(markdown: str) -> list[str]:
    """The sentences of a section's teaching text: escapes, bullets and bold labels
    ("**Key points**") removed; each bullet is a sentence of its own."""
    text = _MARKDOWN.sub(lambda m: m.group(1) or "", markdown)
    return [s for line in text.splitlines() for s in sentences(line) if len(s.split()) >= 3]


def unsupported(claims: Iterable[str], sources: Iterable[str]) -> list[str]:
    """The claims whose content words the sources do not support."""
    source = vocabulary(*sources)
    return [c for c in claims if support(c, source) < MIN_SUPPORT]


@dataclass(frozen=True)
class Faithfulness:
    """What the check measured over one video's notebook sections."""

    sentences: int
    unsupported_sentences: list[str]
    answers: int
    unsupported_answers: list[str]
    code_cells: int
    broken_code: list[str]

    @property
    def supported_share(self) -> float:
        return 1 - len(self.unsupported_sentences) / self.sentences if self.sentences else 1.0

    def outcome(self) -> CheckOutcome:
        problems = [f"unsupported sentence: {s}" for s in self.unsupported_sentences]
        problems += [f"unsupported quiz answer: {a}" for a in self.unsupported_answers]
        problems += [f"code cell does not parse: {c}" for c in self.broken_code]
        share = f"{self.supported_share:.0%} of {self.sentences} sentences supported"
        passed = (
            self.supported_share >= MIN_SUPPORTED_SHARE
            and not self.unsupported_answers
            and not self.broken_code
        )
        detail = (
            f"{share}, {self.answers - len(self.unsupported_answers)}/{self.answers} quiz "
            f"answers supported, {self.code_cells - len(self.broken_code)}/{self.code_cells} "
            "code cells parse"
        )
        return CheckOutcome(passed, detail, problems[:10])


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def notebook_faithfulness(
    sections: pd.DataFrame, chunks: pd.DataFrame, visuals: pd.DataFrame
) -> Faithfulness:
    """Score a video's `notebook_sections` rows against its `chunks` (the transcript) and
    `visual_descriptions` (what the slides show)."""
    said = dict(zip(chunks["chunk_id"].astype(int), chunks["text"].fillna(""), strict=True))
    scene = dict(zip(chunks["chunk_id"].astype(int), chunks["scene"].astype(int), strict=True))
    shown = {
        int(r["scene"]): f"{r['on_screen_text'] or ''}\n{r['code'] or ''}"
        for r in visuals.to_dict("records")
    }
    claims, bad_claims, answers, bad_answers, code, broken = 0, [], 0, [], 0, []
    for row in sections.to_dict("records"):
        ids = [int(i) for i in row["chunk_ids"]]
        scenes = dict.fromkeys(scene.get(i) for i in ids)
        sources = [said.get(i, "") for i in ids] + [shown.get(s, "") for s in scenes]
        written = plain_sentences(row["text"])
        claims += len(written)
        bad_claims += unsupported(written, sources)
        replies = [json.loads(q) for q in row["questions"]]
        answers += len(replies)
        bad_answers += unsupported((q["options"][q["correct"]] for q in replies), sources)
        code += len(row["code"])
        broken += [c.splitlines()[0] for c in row["code"] if not _parses(c)]
    return Faithfulness(claims, bad_claims, answers, bad_answers, code, broken)
