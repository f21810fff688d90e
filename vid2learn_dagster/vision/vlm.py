"""What a vision-language model is asked about a keyframe, and its answer parsed."""

from __future__ import annotations

import json
import re

from vid2learn_dagster.vision.descriptions import VisualDescription

VLM_PROMPT = (
    "This is a keyframe from a lecture or tutorial video. Answer in JSON with: "
    '"description": one paragraph saying what the frame shows (slide title, diagram, '
    "code, person, chart); "
    '"title": the slide\'s title as written, else ""; '
    '"on_screen_text": all readable text, top to bottom, one line per line; '
    '"has_code": true if program code is shown; '
    '"code": the code exactly as shown, indentation kept, else "".'
)
VLM_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "description": {"type": "string"},
        "on_screen_text": {"type": "string"},
        "has_code": {"type": "boolean"},
        "code": {"type": "string"},
        "title": {"type": "string"},
    },
    "required": ["description", "title", "on_screen_text", "has_code", "code"],
}
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def parse_vlm_answer(answer: str, backend: str) -> VisualDescription:
    """A model's JSON answer as a description; text that is not JSON (truncated output,
    a model ignoring the schema) becomes the description rather than an error."""
    text = _FENCE.sub("", answer.strip())
    start, end = text.find("{"), text.rfind("}")
    try:
        data = json.loads(text[start : end + 1]) if start >= 0 < end else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        return VisualDescription(text, "", False, "", backend)
    code = str(data.get("code") or "").strip("\n")
    has_code = data.get("has_code")
    if isinstance(has_code, str):
        has_code = has_code.strip().lower() == "true"
    return VisualDescription(
        description=str(data.get("description") or "").strip(),
        on_screen_text=str(data.get("on_screen_text") or "").strip("\n"),
        has_code=bool(has_code) and bool(code),
        code=code if has_code else "",
        backend=backend,
        title=" ".join(str(data.get("title") or "").split()),
    )
