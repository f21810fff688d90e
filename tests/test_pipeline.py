"""The whole asset graph, end to end, for the sample lecture downloaded by yt-dlp.

The lecture is served by a loopback HTTP server, registered like a user's URL and run
through the real `process_video` job on a real Dagster instance; each test below checks
one promise of the product against the lecture's ground truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import nbformat
import numpy as np
import pandas as pd
import pytest

from tests.pipeline import Project
from vid2learn_dagster.notebook.rendering import META_KEY
from vid2learn_dagster.quality.evaluation import character_error_rate, word_error_rate
from vid2learn_dagster.sample import ground_truth, sample_script
from vid2learn_dagster.speech.speakers import speaker_name

pytestmark = pytest.mark.slow

STAGES = [
    "source_video",
    "audio",
    "speaker_turns",
    "transcript_segments",
    "transcript_words",
    "keyframes",
    "chunks",
    "notebook",
    "notebook_sections",
]


@pytest.fixture(scope="module")
def lecture_run(sample_lecture_run) -> tuple[Project, str, str]:
    """The session's sample-lecture run: (project, partition key, source URL)."""
    return sample_lecture_run


def test_every_stage_is_materialized_for_the_partition(lecture_run):
    project, key, _ = lecture_run
    for asset in STAGES:
        assert project.has_table(asset, key), asset
        event = project.instance.get_latest_materialization_event(dg.AssetKey(asset))
        assert event is not None and event.dagster_event.partition == key
    assert project.temp_files() == []


def test_source_video_records_download_metadata(lecture_run):
    project, key, url = lecture_run
    video = project.table("source_video", key).iloc[0]
    assert video["video_id"] == key, "every table joins on the partition key"
    assert video["url"] == url
    assert video["height"] <= 720
    assert video["duration"] == pytest.approx(ground_truth()["duration"], abs=0.2)
    assert Path(video["video_path"]).is_file()


def test_transcript_word_error_rate_is_at_most_20_percent(lecture_run):
    project, key, _ = lecture_run
    segments = project.table("transcript_segments", key)
    hypothesis = " ".join(segments.sort_values("start")["text"])
    assert word_error_rate(sample_script(), hypothesis) <= 0.20


def test_words_lie_inside_their_segments(lecture_run):
    project, key, _ = lecture_run
    segments = project.table("transcript_segments", key).set_index("segment_id")
    words = project.table("transcript_words", key)
    assert len(words) > 50
    bounds = segments.loc[words["segment_id"]]
    assert (words["start"].to_numpy() >= bounds["start"].to_numpy() - 0.01).all()
    assert (words["end"].to_numpy() <= bounds["end"].to_numpy() + 0.01).all()


def test_every_slide_change_has_a_scene_boundary_within_one_second(lecture_run):
    project, key, _ = lecture_run
    keyframes = project.table("keyframes", key)
    boundaries = keyframes["start"].iloc[1:].to_numpy()
    for cut in ground_truth()["cuts"]:
        assert min(abs(boundaries - cut)) <= 1.0, f"no scene boundary near {cut:.2f}s"
    assert all(Path(p).is_file() for p in keyframes["image_path"])


def test_chunks_cover_every_segment_once(lecture_run):
    project, key, _ = lecture_run
    segments = project.table("transcript_segments", key)
    chunks = project.table("chunks", key)
    covered = [s for ids in chunks["segment_ids"] for s in ids]
    assert sorted(covered) == sorted(segments["segment_id"])


def test_notebook_has_one_section_per_slide_titled_as_the_slide(lecture_run):
    project, key, _ = lecture_run
    row = project.table("notebook", key).iloc[0]
    nb = nbformat.read(row["notebook_path"], as_version=4)
    nbformat.validate(nb)
    titles = [s["title"] for s in ground_truth()["slides"]]
    headings = [c.metadata[META_KEY]["title"] for c in nb.cells if META_KEY in c.metadata]
    assert headings == titles and row["sections"] == len(titles)
    assert any(c.get("attachments") for c in nb.cells), "keyframes are embedded"


def test_every_code_slide_is_a_code_cell_as_shown(lecture_run):
    project, key, _ = lecture_run
    nb = nbformat.read(project.table("notebook", key)["notebook_path"].iloc[0], as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    for slide in ground_truth()["slides"]:
        if slide["code"]:
            shown = slide["code"].strip("\n")
            assert min(character_error_rate(shown, c) for c in cells) <= 0.03, slide["title"]


def test_notebook_sections_record_what_supports_each_section(lecture_run):
    project, key, _ = lecture_run
    sections = project.table("notebook_sections", key)
    chunks = project.table("chunks", key)
    assert list(sections["section"]) == list(range(1, len(sections) + 1))
    covered = sorted(int(i) for ids in sections["chunk_ids"] for i in ids)
    assert covered == sorted(chunks["chunk_id"]), "every chunk supports exactly one section"
    assert (sections["kept_sentences"] <= sections["model_sentences"]).all()
    for row in sections.itertuples():
        for question in map(json.loads, row.questions):
            assert 3 <= len(question["options"]) <= 4 and question["explanation"]
            assert len(set(question["options"])) == len(question["options"])
    check = dg.AssetCheckKey(dg.AssetKey("notebook_sections"), "notebook_faithful")
    (record,) = project.instance.event_log_storage.get_asset_check_execution_history(check, 1)
    evaluation = record.event.dagster_event.asset_check_evaluation_data
    assert evaluation.passed, evaluation.description


def test_pausing_inside_a_code_slide_gives_its_code_and_elsewhere_its_title(lecture_run, capsys):
    from vid2learn_dagster.app.cli import main

    _, key, _ = lecture_run
    for slide in ground_truth()["slides"]:
        middle = (slide["start"] + slide["end"]) / 2
        assert main(["code", key, f"{middle:.1f}", "--format", "json"]) == 0
        answer = json.loads(capsys.readouterr().out)
        if slide["code"]:
            assert answer["kind"] in {"CODE", "MIXED"}, slide["title"]
            assert character_error_rate(slide["code"].strip("\n"), answer["code"]) <= 0.03
        else:
            assert answer == {
                "video_id": key,
                "kind": "LEARNING",
                "time": pytest.approx(middle, abs=0.05),
                "title": slide["title"],
            }
    assert main(["code", key, "1:99"]) == 2 and "not a timestamp" in capsys.readouterr().err
    assert main(["code", "../etc", "10"]) == 2 and "not a video key" in capsys.readouterr().err


def test_the_exports_parse_and_cover_the_video(lecture_run):
    import srt
    import webvtt

    project, key, _ = lecture_run
    paths = dict(project.table("exports", key)[["kind", "path"]].itertuples(index=False))
    assert set(paths) == {"timeline_md", "timeline_json", "code", "srt", "vtt"}
    cues = list(srt.parse(Path(paths["srt"]).read_text()))
    assert len(cues) == len(project.table("transcript_segments", key))
    assert {c.content.split(":")[0] for c in cues} == {"Speaker 1", "Speaker 2"}
    assert len(webvtt.read(paths["vtt"])) == len(cues)
    timeline = json.loads(Path(paths["timeline_json"]).read_text())["segments"]
    assert timeline[0]["start"] == 0 and timeline[-1]["end"] == pytest.approx(
        ground_truth()["duration"], abs=0.5
    )
    code = Path(paths["code"]).read_text()
    for slide in ground_truth()["slides"]:
        if slide["code"]:
            assert slide["code"].splitlines()[0] in code


def test_query_reads_the_views_after_a_run(lecture_run, capsys):
    from vid2learn_dagster.app.cli import main

    project, key, _ = lecture_run
    sql = "SELECT video_id, count(*) AS n FROM transcript_segments GROUP BY video_id"
    assert main(["query", sql, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"video_id": key, "n": len(project.table("transcript_segments", key))}]


def test_registering_the_same_url_again_adds_no_partition(lecture_run):
    from vid2learn_dagster.app.cli import add_videos

    project, key, url = lecture_run
    before = project.instance.get_dynamic_partitions("videos")
    assert add_videos(project.instance, [url], source="test") == [key]
    assert project.instance.get_dynamic_partitions("videos") == before


def _voice_of_cluster(turns: pd.DataFrame) -> dict[str, str]:
    """Diarization labels -> the lecture's speakers ("lecturer", "student"), one to one,
    by the most time shared with the ground-truth utterances (Hungarian assignment)."""
    from scipy.optimize import linear_sum_assignment

    utterances = [u for slide in ground_truth()["slides"] for u in slide["utterances"]]
    people = sorted({u["speaker"] for u in utterances})
    clusters = sorted(turns["speaker"].unique())
    shared = np.zeros((len(clusters), len(people)))
    for t in turns[~turns["overlap"]].itertuples():
        for u in utterances:
            overlap = min(t.end, u["end"]) - max(t.start, u["start"])
            shared[clusters.index(t.speaker), people.index(u["speaker"])] += max(overlap, 0.0)
    rows, cols = linear_sum_assignment(-shared)
    return {clusters[r]: people[c] for r, c in zip(rows, cols, strict=True)}


def _true_voice(start: float, end: float) -> str:
    """Who says a word: the utterance containing its midpoint (else the nearest one)."""
    utterances = [u for slide in ground_truth()["slides"] for u in slide["utterances"]]
    mid = (start + end) / 2
    return min(utterances, key=lambda u: max(u["start"] - mid, mid - u["end"], 0.0))["speaker"]


def test_two_voices_are_found_and_90_percent_of_words_go_to_the_right_one(lecture_run):
    project, key, _ = lecture_run
    turns = project.table("speaker_turns", key)
    assert sorted(turns["speaker"].unique()) == ["SPEAKER_00", "SPEAKER_01"]
    voice = _voice_of_cluster(turns)
    words = project.table("transcript_words", key)
    scored = pd.DataFrame(
        {
            "said_by": [voice.get(w.speaker) for w in words.itertuples()],
            "truth": [_true_voice(w.start, w.end) for w in words.itertuples()],
        }
    )
    # Per voice, so the student's few words (about a tenth) cannot hide behind the lecturer's.
    accuracy = (scored["said_by"] == scored["truth"]).groupby(scored["truth"]).mean()
    assert set(accuracy.index) == {"lecturer", "student"}
    assert (accuracy >= 0.9).all(), accuracy.round(3).to_dict()


def test_segments_and_chunks_have_one_speaker_each(lecture_run):
    project, key, _ = lecture_run
    segments = project.table("transcript_segments", key)
    words = project.table("transcript_words", key)
    assert segments["speaker"].notna().all()
    of_segment = segments.set_index("segment_id")["speaker"]
    assert (words["speaker"].to_numpy() == of_segment.loc[words["segment_id"]].to_numpy()).all()
    chunks = project.table("chunks", key)
    for chunk in chunks[chunks["text"] != ""].itertuples():
        assert set(of_segment.loc[list(chunk.segment_ids)]) == {chunk.speaker}
    assert chunks["speaker"].nunique() == 2


def test_notebook_quotes_the_students_questions(lecture_run):
    project, key, _ = lecture_run
    turns = project.table("speaker_turns", key)
    student = next(c for c, v in _voice_of_cluster(turns).items() if v == "student")
    nb = nbformat.read(project.table("notebook", key)["notebook_path"].iloc[0], as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "**Q&A**" in markdown
    assert markdown.count(f"**{speaker_name(student)}** at ") == 2, "one quote per question"


def test_views_expose_who_said_what(lecture_run, capsys):
    from vid2learn_dagster.app.cli import main

    project, key, _ = lecture_run
    sql = (
        "SELECT w.speaker, count(*) AS words, any_value(t.seconds) AS seconds "
        'FROM transcript_words w JOIN (SELECT video_id, speaker, sum("end" - start) AS seconds '
        "FROM speaker_turns GROUP BY ALL) t USING (video_id, speaker) GROUP BY ALL ORDER BY 1"
    )
    assert main(["query", sql, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    words = project.table("transcript_words", key)["speaker"].value_counts().sort_index()
    assert [(r["speaker"], r["words"]) for r in rows] == list(words.items())
    assert all(r["seconds"] > 0 for r in rows)
