"""Issue 12 on lectures made differently from the sample (issue 11's variants): every
slide is a section titled as the slide, and every code slide's code is a code cell as
shown. One project, the four variants batched through every stage with the small plumbing
model: structure never depends on the model."""

from __future__ import annotations

import json

import nbformat
import pytest

from tests.pipeline import project_at
from vid2learn_dagster.notebook.rendering import META_KEY
from vid2learn_dagster.quality.evaluation import character_error_rate
from vid2learn_dagster.vision.snippets import code_at

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def variant_notebooks(lecture_variants, tmp_path_factory):
    """name -> (notebook, notebook_sections, truth) for every generated variant."""
    from vid2learn_dagster.app.cli import add_videos, run_videos

    generated = {n: v for n, v in lecture_variants.items() if n != "sample"}
    with project_at(tmp_path_factory.mktemp("variant-notebooks")) as project:
        keys = add_videos(project.instance, [str(v) for v, _ in generated.values()], "test")
        outcome = run_videos(project.instance, keys)
        assert all(outcome.values()), outcome
        yield {
            name: (
                nbformat.read(project.table("notebook", key)["notebook_path"].iloc[0], 4),
                project.table("notebook_sections", key),
                truth,
                (project.table("video_segments", key), project.table("code_snippets", key)),
            )
            for (name, (_, truth)), key in zip(generated.items(), keys, strict=True)
        }


def test_every_slide_is_a_section_titled_as_the_slide(variant_notebooks):
    for name, (nb, sections, truth, _) in variant_notebooks.items():
        headings = [c.metadata[META_KEY]["title"] for c in nb.cells if META_KEY in c.metadata]
        assert headings == [s["title"] for s in truth["slides"]], name
        assert list(sections["title"]) == headings, name


def test_every_code_slide_is_a_code_cell_as_shown(variant_notebooks):
    for name, (nb, _, truth, _) in variant_notebooks.items():
        cells = [c.source for c in nb.cells if c.cell_type == "code"]
        for slide in truth["slides"]:
            if slide["code"]:
                shown = slide["code"].strip("\n")
                best = min(character_error_rate(shown, c) for c in cells)
                assert best <= 0.03, f"{name}: {slide['title']} read at CER {best:.1%}"


def test_no_sentence_is_repeated_within_a_cell(variant_notebooks):
    from vid2learn_dagster.language.grounding import sentences

    for name, (nb, _, _, _) in variant_notebooks.items():
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                said = [s for s in sentences(cell.source) if len(s.split()) >= 4]
                assert len(said) == len(set(said)), f"{name}: {cell.source[:200]}"


def test_every_quiz_question_has_one_right_option_and_an_explanation(variant_notebooks):
    for name, (_, sections, _, _) in variant_notebooks.items():
        questions = [json.loads(q) for qs in sections["questions"] for q in qs]
        assert questions, name
        for q in questions:
            assert 3 <= len(q["options"]) <= 4 and len(set(q["options"])) == len(q["options"])
            assert 0 <= q["correct"] < len(q["options"]) and q["explanation"], name


def test_pausing_gives_each_code_slides_code_and_elsewhere_its_title(variant_notebooks):
    """Issue 13 on the variants: the code at a moment inside each code slide (its last
    build) is the slide's code; elsewhere LEARNING with the slide's title."""
    for name, (_, _, truth, (segments, snippets)) in variant_notebooks.items():
        for slide in truth["slides"]:
            moment = slide["end"] - 0.5  # every build step revealed
            answer = code_at(segments, snippets, moment)
            if slide["code"]:
                cer = character_error_rate(slide["code"].strip("\n"), answer.get("code", ""))
                assert cer <= 0.03, f"{name}: {slide['title']} at {moment:.1f} s: {answer}"
            else:
                assert answer == {"kind": "LEARNING", "time": moment, "title": slide["title"]}


def test_a_listing_revealed_in_steps_gives_versions_in_order_the_last_complete(
    variant_notebooks,
):
    _, _, truth, (_, snippets) = variant_notebooks["revealed"]
    (slide,) = [s for s in truth["slides"] if s["code"]]
    versions = snippets[snippets["snippet"] == snippets["snippet"].iloc[0]]
    assert len(versions) >= 2 and list(versions["version"]) == list(range(1, len(versions) + 1))
    assert list(versions["start"]) == sorted(versions["start"])
    assert character_error_rate(slide["code"].strip("\n"), versions["code"].iloc[-1]) <= 0.03
