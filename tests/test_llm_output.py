"""Tolerant parsing of model output: the caller always gets a usable string.

The messy inputs below are shapes SmolLM2-135M and chat models were seen producing.
"""

from __future__ import annotations

from vid2learn_dagster.language.llm_output import (
    clean_text,
    drop_repeats,
    extract_json,
    json_object,
    string_field,
    string_list,
    strip_echo,
)


def test_json_surrounded_by_prose_and_a_code_fence():
    text = (
        'Sure! Here it is:\n```json\n{"text": "Lists start at zero.", "n": 2}\n```\nHope it helps.'
    )
    assert extract_json(text) == {"text": "Lists start at zero.", "n": 2}


def test_json_with_prose_and_no_fence_ignores_trailing_text():
    assert extract_json('Answer: {"a": [1, 2]} and {"b": 3} later') == {"a": [1, 2]}


def test_truncated_json_is_closed_best_effort():
    assert extract_json('{"title": "Lists", "text": "A list is a seq') == {
        "title": "Lists",
        "text": "A list is a seq",
    }
    assert extract_json('{"items": [{"a": 1}, {"a": 2}, {"a"') == {"items": [{"a": 1}, {"a": 2}]}
    assert extract_json('[1, 2, {"k": ') == [1, 2, {"k": None}]


def test_no_json_or_empty_string_gives_none_and_an_empty_object():
    assert extract_json("no braces here") is None
    assert extract_json("") is None
    assert json_object("") == {} and json_object("[1, 2]") == {}
    assert json_object('{"text": "ok"') == {"text": "ok"}


def test_a_fenced_section_answer_as_qwen_writes_it():
    answer = '```json\n{"heading": "Lists", "question": "Where do lists start?", "code": ""}\n```'
    data = json_object(answer)
    assert string_field(data, "heading") == "Lists"
    assert string_field(data, "code") == "" and string_field(data, "missing") == ""


def test_fields_of_the_wrong_type_still_give_text():
    data = {"outcomes": "- Index a list\n- Loop over it", "answer": 0, "audience": ["a", "b"]}
    assert string_list(data, "outcomes") == ["- Index a list", "- Loop over it"]
    assert string_field(data, "answer") == "0" and string_field(data, "audience") == "a\nb"
    assert string_list({"outcomes": [" x ", "", None]}, "outcomes") == ["x"]
    assert string_list({}, "outcomes") == []


def test_echoed_instruction_is_stripped_but_the_answer_kept():
    prompt = (
        "Transcript: um so lists uh start at zero\n\nRewrite the transcript above as clean prose."
    )
    output = "So, lists start at zero.\n\nRewrite the transcript above as clean prose!"
    assert strip_echo(output, prompt) == "So, lists start at zero."


def test_loops_of_a_small_model_are_cut_to_the_first_occurrence():
    looped = "Lists are ordered. You can index them. You can index them. You can index them."
    assert drop_repeats(looped) == "Lists are ordered. You can index them."


def test_clean_text_removes_preamble_placeholders_and_falls_back_when_empty():
    output = "Here is the rewritten text:\n<one paragraph>\nLists start at zero."
    assert clean_text(output) == "Lists start at zero."
    assert clean_text("", fallback="raw transcript") == "raw transcript"
    assert clean_text("Rewrite this.", prompt="Rewrite this.", fallback="raw") == "raw"


def test_clean_text_keeps_code_inside_an_explanation():
    output = "Use append:\n```python\nxs.append(4)\n```\nNow xs has four items."
    assert "xs.append(4)" in clean_text(output)
    assert "Now xs has four items." in clean_text(output)


def test_repeated_marker_lines_collapse_but_repeated_code_lines_stay():
    looped = "### EXPLANATION\n### EXPLANATION\nText."
    assert drop_repeats(looped) == "### EXPLANATION\nText."
    code = "```python\nx += 1\nx += 1\n```"
    assert drop_repeats(code) == code


def test_a_fence_wrapping_the_whole_answer_is_unwrapped_even_if_unclosed():
    assert clean_text("```\nLists start at zero.\n```") == "Lists start at zero."
    assert clean_text("```markdown\nLists start at zero.") == "Lists start at zero."
    assert "More prose." in clean_text("```py\nx = 1\n```\nMore prose.")


def test_an_echo_cut_off_by_the_token_limit_is_stripped():
    prompt = "Rewrite the transcript above as clean, well-punctuated prose. Remove filler words."
    output = "Lists start at zero.\n\nRewrite the transcript above as clean, well-punc"
    assert strip_echo(output, prompt) == "Lists start at zero."
    assert strip_echo("Rewrite", prompt) == "Rewrite"  # too short to call an echo
