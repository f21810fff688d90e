"""What the notebook asks the language model: one JSON answer per topic and one for the
whole video, all in one batched call (issue 9), so no text is sent to the model twice."""

from __future__ import annotations

from collections.abc import Sequence

from vid2learn_dagster.language.generation import LLMTask, Messages
from vid2learn_dagster.language.prompting import render
from vid2learn_dagster.notebook.materials import TopicMaterial, outline

# Per topic; string lengths bound what a looping model can cost (guided decoding stops
# a string there), and "code" comes last so a cut-off answer loses only the code.
SECTION_SCHEMA = {
    "type": "object",
    "properties": {
        "heading": {"type": "string", "maxLength": 80},
        "explanation": {"type": "string", "maxLength": 700},
        "question": {"type": "string", "maxLength": 200},
        "answer": {"type": "string", "maxLength": 160},
        "code": {"type": "string", "maxLength": 700},
    },
    "required": ["heading", "explanation", "question", "answer", "code"],
}
# Per video, from the outline.
OVERVIEW_SCHEMA = {
    "type": "object",
    "properties": {
        "introduction": {"type": "string", "maxLength": 400},
        "audience": {"type": "string", "maxLength": 300},
        "outcomes": {
            "type": "array",
            "items": {"type": "string", "maxLength": 120},
            "maxItems": 5,
        },
        "conclusion": {"type": "string", "maxLength": 400},
    },
    "required": ["introduction", "audience", "outcomes", "conclusion"],
}
# One call for both kinds of prompt, so the overview decodes alongside the sections
# instead of alone after them; each prompt names its keys, which picks the branch.
NOTEBOOK = LLMTask(
    prompts=("notebook_intro", "notebook_topic"),
    # 256 fits a section's five short fields; measured answers ran 150-200 tokens, and the
    # notebook was the costliest language stage on a held-out lecture (issue 9).
    max_new_tokens=256,
    json_schema={"anyOf": [SECTION_SCHEMA, OVERVIEW_SCHEMA]},
)
TASKS = (NOTEBOOK,)
OVERVIEW = "overview"
# The "code" field's instruction: write the program a topic describes, unless its slides
# show code already (then the model need not spend tokens on it).
_WRITE_CODE = (
    "the short Python program the text describes, or an empty string if it describes none."
)
_NO_CODE = "an empty string (the slide already shows the code)."


def topic_key(m: TopicMaterial) -> str:
    return f"topic:{m.number}"


def notebook_prompts(materials: Sequence[TopicMaterial]) -> dict[str, Messages]:
    """Prompts by key: the overview (from the outline), then one per topic with text."""
    prompts: dict[str, Messages] = {}
    if materials:
        prompts[OVERVIEW] = render("notebook_intro", outline=outline(materials))
    for m in materials:
        if m.text:
            code = _NO_CODE if m.code else _WRITE_CODE
            prompts[topic_key(m)] = render("notebook_topic", text=m.text, code=code)
    return prompts
