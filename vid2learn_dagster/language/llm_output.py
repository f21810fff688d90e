"""Tolerant parsing of language-model output into usable strings.

Small local models (SmolLM2-135M on CPU) echo their instructions, wrap answers in code
fences, loop on one sentence, stop mid-JSON or ignore the requested markers, and a
remote model may add prose around its JSON. Every function here returns something the
caller can use, falling back to a caller-given default rather than raising, because one
odd generation must not fail a whole video's partition.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any

_FENCE = re.compile(r"```[\w+-]*\s*\n?(.*?)(?:```|$)", re.DOTALL)
# A fenced block anywhere in an answer, closed or cut off by the token limit.
_FENCED_BLOCK = re.compile(r"```[\w+-]*[ \t]*\n?(.*?)(?:```|$)", re.DOTALL)
_WRAPPING_FENCE = re.compile(r"```[\w+-]*[ \t]*\n?((?:(?!```).)*)(?:```)?", re.DOTALL)
_PREAMBLE = re.compile(
    r"^\s*(sure|certainly|of course|okay|here is|here's|here are|below is)\b.*:\s*$",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"^\s*<[^<>]{1,40}>\s*$")
_SENTENCE_END = re.compile(r"((?<=[.!?])[ \t]+|[ \t]*\n\s*)")
_CODE_BLOCK = re.compile(r"(```.*?(?:```|$))", re.DOTALL)
_ECHO_SIMILARITY = 0.85  # lines this close to a prompt line are echoes, not answers
_ECHO_MIN_PREFIX = 24  # a truncated echo shorter than this may be a coincidence


def _normalize(line: str) -> str:
    return " ".join(line.lower().split())


def first_fenced_block(text: str) -> str | None:
    """The contents of the first fenced block (``` ... ```, or cut off), None if none."""
    match = _FENCED_BLOCK.search(text)
    return match.group(1) if match else None


def without_fenced_blocks(text: str) -> str:
    """The answer with every fenced block removed (code where prose was asked)."""
    return _FENCED_BLOCK.sub("", text)


def unwrap_fence(text: str) -> str:
    """The contents of a fenced block wrapping the whole answer, else the text itself.

    Only a leading fence is unwrapped: an explanation that contains a code example
    must keep its prose.
    """
    match = _WRAPPING_FENCE.fullmatch(text.strip())
    return match.group(1).strip() if match else text.strip()


def strip_echo(text: str, prompt: str) -> str:
    """Drop output lines that repeat a line of the prompt (SmolLM2 restates its task).

    Compares whole lines with a fuzzy ratio, so a copied instruction with changed
    punctuation or case is still caught, while a rewrite of the transcript is not; a
    line cut off by the token limit counts when it is a long enough prefix of a prompt line.
    """
    prompt_lines = {_normalize(p) for p in prompt.splitlines() if p.strip()}

    def echoed(norm: str) -> bool:
        return bool(norm) and any(
            norm == p
            or (len(norm) >= _ECHO_MIN_PREFIX and p.startswith(norm))
            or difflib.SequenceMatcher(None, norm, p).ratio() >= _ECHO_SIMILARITY
            for p in prompt_lines
        )

    return "\n".join(line for line in text.splitlines() if not echoed(_normalize(line))).strip()


def _dedupe_prose(prose: str, seen: set[str]) -> str:
    parts = _SENTENCE_END.split(prose)  # sentence, separator, sentence, ...
    kept = []
    for sentence, separator in zip(parts[::2], [*parts[1::2], ""], strict=True):
        key = _normalize(sentence).strip("#*-. ")
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(sentence + separator)
    return "".join(kept)


def drop_repeats(text: str) -> str:
    """Keep the first occurrence of each sentence or line: greedy decoding of a small model
    loops. Whitespace is kept, and fenced code is left alone (code repeats lines legitimately).
    """
    seen: set[str] = set()
    pieces = _CODE_BLOCK.split(text)  # prose, code, prose, ...
    kept = [
        piece if index % 2 else _dedupe_prose(piece, seen) for index, piece in enumerate(pieces)
    ]
    return re.sub(r"\n{3,}", "\n\n", "".join(kept)).strip()


def clean_text(text: str, *, prompt: str = "", fallback: str = "") -> str:
    """Plain answer text: no fences, echoes, chatty preambles, placeholders or loops.

    Returns `fallback` (e.g. the untouched transcript) when nothing usable is left.
    """
    body = unwrap_fence(text)
    if prompt:
        body = strip_echo(body, prompt)
    lines = [
        line
        for line in body.splitlines()
        if not _PREAMBLE.match(line) and not _PLACEHOLDER.match(line)
    ]
    body = drop_repeats("\n".join(lines))
    return body or fallback


def _close_truncated(fragment: str) -> str:
    """Append the quotes and brackets a truncated JSON fragment is missing."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in fragment:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    if in_string:
        fragment += '"'
    fragment = fragment.rstrip().rstrip(",")
    if fragment.endswith(":"):
        fragment += " null"
    return fragment + "".join(reversed(stack))


def _cut_points(fragment: str) -> list[int]:
    """Where to cut a fragment that does not close cleanly: the end, then each comma back."""
    commas = [i for i, ch in enumerate(fragment) if ch == ","]
    return [len(fragment), *reversed(commas)][:64]


def extract_json(text: str) -> Any | None:
    """The first JSON object or array in `text`, repaired if truncated; None if there is none.

    Handles code fences, prose before and after, and output cut off by `max_new_tokens`
    (closes open strings and brackets, dropping a half-written last member if needed).
    """
    fenced = _FENCE.search(text)
    for candidate in (fenced.group(1) if fenced else "", text):
        starts = [i for i in (candidate.find("{"), candidate.find("[")) if i >= 0]
        if not starts:
            continue
        fragment = candidate[min(starts) :]
        try:
            return json.JSONDecoder().raw_decode(fragment)[0]
        except json.JSONDecodeError:
            pass
        for cut in _cut_points(fragment):
            try:
                return json.loads(_close_truncated(fragment[:cut]))
            except json.JSONDecodeError:
                continue
    return None


def json_object(text: str) -> dict[str, Any]:
    """The JSON object in `text` (fenced, wrapped in prose or truncated); {} when there is
    none. Qwen wraps its JSON in ```json fences even under schema-guided decoding."""
    data = extract_json(text)
    return data if isinstance(data, dict) else {}


def string_field(data: Mapping[str, Any], key: str) -> str:
    """A field of a model's JSON object as text ("" when absent or null); a list becomes
    one line per item, since a model may answer a list where a string was asked."""
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(item).strip() for item in value if item is not None).strip()
    return (value if isinstance(value, str) else json.dumps(value)).strip()


def string_list(data: Mapping[str, Any], key: str) -> list[str]:
    """A list field as stripped non-empty strings; a string becomes its lines."""
    value = data.get(key)
    items = value if isinstance(value, list) else string_field(data, key).splitlines()
    return [str(item).strip() for item in items if item is not None and str(item).strip()]
