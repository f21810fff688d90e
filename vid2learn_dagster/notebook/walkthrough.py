"""What a code cell does, line by line where the lecture says it: each spoken sentence that
names something in the code, beside the line it names (issue 12 item 1).

The explanation is the lecture's own words, so it cannot be wrong about the code in ways
the lecturer was not; a line nobody talks about gets no note. A sentence is matched to
the code line whose content words it says most, an identifier read as its words
(`linear_search` is "linear search"; comments are not code), each line explained once:
"This function walks through the list with enumerate" → `for index, item in
enumerate(items):`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from vid2learn_dagster.language.grounding import content_words, sentences

MAX_NOTES = 6
MIN_SHARE = 1 / 3


def _names(line: str) -> set[str]:
    """The content words a code line names (its comment left out)."""
    return set(content_words(line.split("#", 1)[0].replace("_", " ")))


def code_notes(code: str, spoken: Sequence[str]) -> list[tuple[str, str]]:
    """(code line, the sentence that explains it) pairs in code order.

    Pairs are taken best first, by the share of the line's words the sentence says, then
    by how few other sentences say them; each line and each sentence once; and only where
    the sentence says a third of the line's words and more than everyday words shared
    with other sentences: "an item" alone does not explain `if item == target:`.
    """
    lines = [line.rstrip() for line in code.splitlines() if line.strip()]
    named = [_names(line) for line in lines]
    said = [s for text in spoken for s in sentences(text)]
    words = [set(content_words(s)) for s in said]
    # A word few sentences say is the more telling ("enumerate" against "item").
    rarity = {w: 1 / sum(w in ws for ws in words) for ws in words for w in ws}
    scored = sorted(
        (
            (len(names & ws) / len(names), sum(rarity[w] for w in names & ws), -i, -j)
            for i, names in enumerate(named)
            if names
            for j, ws in enumerate(words)
        ),
        reverse=True,
    )
    best: dict[int, str] = {}
    used: set[int] = set()
    for share, telling, i, j in scored:
        if share >= MIN_SHARE and telling >= 1 and -i not in best and -j not in used:
            best[-i] = said[-j]
            used.add(-j)
    return [(lines[i].strip(), best[i]) for i in sorted(best)][:MAX_NOTES]


def walkthrough_markdown(notes: Sequence[tuple[str, str]], escape: Callable[[str], str]) -> str:
    """The notes as a list under "What the code does"; "" when there are none."""
    if not notes:
        return ""
    items = "\n".join(f"- `{line}`: {escape(sentence)}" for line, sentence in notes)
    return f"**What the code does**\n\n{items}"
