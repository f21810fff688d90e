"""What the notebook asks the language model: one JSON answer per section and one for the
whole video, all in one batched call (issue 9), so no text is sent to the model twice."""

from __future__ import annotations

from collections.abc import Sequence

from vid2learn_dagster.language.generation import LLMTask, Messages
from vid2learn_dagster.language.prompting import render
from vid2learn_dagster.notebook.materials import SectionMaterial, outline

# Per section; string lengths bound what a looping model can cost (guided decoding stops
# a string there), and "code" comes last so a cut-off answer loses only the code.
SECTION_SCHEMA = {
    "type": "object",
    "properties": {
        "heading": {"type": "string", "maxLength": 80},
        "explanation": {"type": "string", "maxLength": 700},
        "key_points": {
            "type": "array",
            "items": {"type": "string", "maxLength": 120},
            "maxItems": 3,
        },
        "question": {"type": "string", "maxLength": 200},
        "options": {
            "type": "array",
            "items": {"type": "string", "maxLength": 80},
            "minItems": 3,
            "maxItems": 4,
        },
        "answer": {"type": "string", "maxLength": 80},
        "code": {"type": "string", "maxLength": 700},
    },
    "required": ["heading", "explanation", "key_points", "question", "options", "answer", "code"],
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
    },
    "required": ["introduction", "audience", "outcomes"],
}
# One call for both kinds of prompt, so the overview decodes alongside the sections
# instead of alone after them; each prompt names its keys, which picks the branch.
NOTEBOOK = LLMTask(
    prompts=("notebook_intro", "notebook_section"),
    # On 2 cores a decoding step costs the same for one answer or eight (0.19 s with the
    # 1.5B default, memory-bound), so the call lasts as long as its longest answer: the
    # prompts ask for short fields (answers ran 135-230 tokens on the sample, issue 12),
    # and this cap bounds a rambling one at 55 s; "code" comes last, so a cut-off
    # answer loses only the code.
    max_new_tokens=288,
    json_schema={"anyOf": [SECTION_SCHEMA, OVERVIEW_SCHEMA]},
)
TASKS = (NOTEBOOK,)
OVERVIEW = "overview"
# The languages most lectures are in, by Whisper's code; the Qwen2.5 models write all of
# them (its model card lists 29 languages).
LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ru": "Russian",
    "pl": "Polish",
    "tr": "Turkish",
    "ar": "Arabic",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "vi": "Vietnamese",
    "hi": "Hindi",
}
# The "code" field's instruction: write the program a section describes, unless its slides
# show code already (then the model need not spend tokens on it).
_WRITE_CODE = (
    "the short Python program the text describes, or an empty string if it describes none."
)
_NO_CODE = "an empty string (the slide already shows the code)."


def section_key(m: SectionMaterial) -> str:
    return f"section:{m.number}"


def language_name(code: str) -> str:
    """The English name of the language Whisper detected, for "Write in ..." (issue 12: the
    notebook in the video's language); the code itself where it is not listed."""
    return LANGUAGE_NAMES.get(code, code or "English")


def notebook_prompts(
    materials: Sequence[SectionMaterial], language: str = "en"
) -> dict[str, Messages]:
    """Prompts by key: the overview (from the outline), then one per section with text;
    each asks for the video's language (`language`, Whisper's ISO 639-1 code)."""
    name = language_name(language)
    prompts: dict[str, Messages] = {}
    if materials:
        prompts[OVERVIEW] = render("notebook_intro", outline=outline(materials), language=name)
    for m in materials:
        if m.text:
            code = _NO_CODE if m.code else _WRITE_CODE
            prompts[section_key(m)] = render(
                "notebook_section", text=m.text, code=code, language=name
            )
    return prompts
