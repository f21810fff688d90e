"""The shape of every table the pipeline writes, in one place.

Each stage returns a pandas DataFrame; `conform` orders and types its columns by the
schema here so Parquet files of different videos union cleanly in DuckDB, and an
empty stage result is still a typed, valid table (a video with no speech or no cuts).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

STRING = pa.string()
FLOAT = pa.float64()
INT = pa.int64()
BOOL = pa.bool_()

SCHEMAS: dict[str, pa.Schema] = {
    "source_video": pa.schema(
        [
            ("video_id", STRING),
            ("url", STRING),
            ("webpage_url", STRING),
            ("extractor", STRING),
            ("title", STRING),
            ("duration", FLOAT),
            ("uploader", STRING),
            ("upload_date", STRING),
            ("license", STRING),
            ("width", INT),
            ("height", INT),
            ("fps", FLOAT),
            ("video_path", STRING),
            ("sha256", STRING),
        ]
    ),
    "audio": pa.schema(
        [
            ("video_id", STRING),
            ("audio_path", STRING),
            ("sample_rate", INT),
            ("duration", FLOAT),
            ("had_audio_stream", BOOL),
        ]
    ),
    "transcript_segments": pa.schema(
        [
            ("video_id", STRING),
            ("segment_id", INT),
            ("start", FLOAT),
            ("end", FLOAT),
            ("text", STRING),
            ("avg_logprob", FLOAT),
            # issue 9: the language Whisper detected for the video (ISO 639-1, e.g. "en"),
            # repeated per segment so a query needs no second table.
            ("language", STRING),
            ("speaker", STRING),
        ]
    ),
    "transcript_words": pa.schema(
        [
            ("video_id", STRING),
            ("segment_id", INT),
            ("start", FLOAT),
            ("end", FLOAT),
            ("word", STRING),
            ("probability", FLOAT),
            ("speaker", STRING),
        ]
    ),
    # A run of heard words replaced by a term shown on screen (issue 11), with the source.
    "term_corrections": pa.schema(
        [
            ("video_id", STRING),
            ("word_index", INT),  # first corrected word, in transcript_words' time order
            ("words", INT),  # how many heard words it replaced
            ("start", FLOAT),
            ("end", FLOAT),
            ("heard", STRING),
            ("corrected", STRING),
            ("source", STRING),  # "title", "slide N" or "code on slide N"
            ("score", FLOAT),  # mean of the sound-alike and look-alike similarities, 0-1
            # Whisper's log-likelihood gain (nats) with the term, where hearing decided
            # (a term the screen also shows as heard, or less alike); null otherwise
            ("hearing_gain", FLOAT),
        ]
    ),
    "keyframes": pa.schema(
        [
            ("video_id", STRING),
            ("scene", INT),
            ("start", FLOAT),
            ("end", FLOAT),
            ("time", FLOAT),
            ("image_path", STRING),
            # Times a slide was built up (a bullet or code line revealed): sub-steps of
            # one slide, from the slide detector; empty for camera-footage detectors.
            ("builds", pa.list_(FLOAT)),
        ]
    ),
    # Every distinct picture of each scene that was read (issue 11): frame 0 is the
    # scene's keyframe, the others pictures it did not show (a build, a new code slide).
    "reading_frames": pa.schema(
        [
            ("video_id", STRING),
            ("scene", INT),
            ("frame", INT),
            ("time", FLOAT),
            ("image_path", STRING),
        ]
    ),
    "chunks": pa.schema(
        [
            ("video_id", STRING),
            ("chunk_id", INT),
            ("scene", INT),
            ("start", FLOAT),
            ("end", FLOAT),
            ("text", STRING),
            ("segment_ids", pa.list_(INT)),
            ("image_path", STRING),
            ("speaker", STRING),
        ]
    ),
    "notebook": pa.schema(
        [
            ("video_id", STRING),
            ("title", STRING),
            ("notebook_path", STRING),
            ("sections", INT),
            ("cells", INT),
            ("quizzes", INT),
            ("code_cells", INT),
            ("model", STRING),
        ]
    ),
    # One row per notebook section (issue 12): its bounds, the chunks that support it, the
    # teaching text as written, its code cells, its quiz (JSON per question) and how many
    # of the model's sentences the lecture supported.
    "notebook_sections": pa.schema(
        [
            ("video_id", STRING),
            ("section", INT),
            ("title", STRING),
            ("start", FLOAT),
            ("end", FLOAT),
            ("chunk_ids", pa.list_(INT)),
            ("text", STRING),
            ("code", pa.list_(STRING)),
            ("questions", pa.list_(STRING)),
            ("model_sentences", INT),
            ("kept_sentences", INT),
        ]
    ),
    # The whole video in a few lines (issue 12): abstract, keywords, hashtags, and suggested
    # questions as JSON (question, answer, times: the seconds that support the answer).
    "video_summary": pa.schema(
        [
            ("video_id", STRING),
            ("abstract", STRING),
            ("keywords", pa.list_(STRING)),
            ("hashtags", pa.list_(STRING)),
            ("questions", pa.list_(STRING)),
        ]
    ),
    "visual_descriptions": pa.schema(
        [
            ("video_id", STRING),
            ("scene", INT),
            ("time", FLOAT),
            ("image_path", STRING),
            ("description", STRING),
            ("on_screen_text", STRING),
            ("has_code", BOOL),
            ("code", STRING),
            ("backend", STRING),
            ("title", STRING),
        ]
    ),
    # What each reading frame showed (issue 13): the code on screen at every moment.
    "frame_readings": pa.schema(
        [
            ("video_id", STRING),
            ("scene", INT),
            ("frame", INT),
            ("time", FLOAT),
            ("on_screen_text", STRING),
            ("has_code", BOOL),
            ("code", STRING),
            ("title", STRING),
        ]
    ),
    # Each version of each code listing shown (issue 13) and when it was on screen.
    "code_snippets": pa.schema(
        [
            ("video_id", STRING),
            ("snippet", INT),
            ("version", INT),
            ("scene", INT),
            ("start", FLOAT),
            ("end", FLOAT),
            ("code", STRING),
            ("language", STRING),
            ("confidence", FLOAT),  # share of the version's readings that read it exactly
            ("parses", BOOL),  # Python only: ast.parse (never run)
        ]
    ),
    # The video's moments in order: CODE, MIXED (code and other text) or LEARNING (no code).
    "video_segments": pa.schema(
        [
            ("video_id", STRING),
            ("start", FLOAT),
            ("end", FLOAT),
            ("kind", STRING),
            ("scene", INT),
            ("title", STRING),
            ("snippet", INT),
            ("version", INT),
        ]
    ),
    # The export files beside each notebook (issue 13): kind and where the file is.
    "exports": pa.schema([("video_id", STRING), ("kind", STRING), ("path", STRING)]),
    "rewritten_chunks": pa.schema(
        [
            ("video_id", STRING),
            ("chunk_id", INT),
            ("start", FLOAT),
            ("end", FLOAT),
            ("text", STRING),
            ("model", STRING),
        ]
    ),
    "blended_chunks": pa.schema(
        [
            ("video_id", STRING),
            ("chunk_id", INT),
            ("start", FLOAT),
            ("end", FLOAT),
            ("text", STRING),
            ("model", STRING),
        ]
    ),
    "topic_segments": pa.schema(
        [
            ("video_id", STRING),
            ("topic_id", INT),
            ("start", FLOAT),
            ("end", FLOAT),
            ("text", STRING),
            ("chunk_ids", pa.list_(INT)),
        ]
    ),
    "speaker_turns": pa.schema(
        [
            ("video_id", STRING),
            ("start", FLOAT),
            ("end", FLOAT),
            ("speaker", STRING),
            ("overlap", BOOL),
        ]
    ),
    "video_urls": pa.schema(
        [
            ("video_id", STRING),
            ("url", STRING),
            ("source", STRING),
            ("added_at", STRING),
        ]
    ),
    "rejected_urls": pa.schema(
        [
            ("line_id", STRING),
            ("source", STRING),
            ("line_no", INT),
            ("text", STRING),
            ("reason", STRING),
            ("seen_at", STRING),
        ]
    ),
    "playlist_entries": pa.schema(
        [
            ("playlist_url", STRING),
            ("video_url", STRING),
            ("video_id", STRING),
            ("title", STRING),
            ("position", INT),
            ("checked_at", STRING),
        ]
    ),
    # Videos removed with `vid2learn delete`: the sensors must not add them again from the
    # URL list or a playlist; `vid2learn run URL` processes one again and clears its row.
    "deleted_videos": pa.schema(
        [
            ("video_id", STRING),
            ("url", STRING),
            ("deleted_at", STRING),
        ]
    ),
}

# Tables written as one file per video, `<table>/<video_id>.parquet`: every stage's table,
# `video_urls` and `deleted_videos`. The others are keyed by URL-list line and by playlist.
PER_VIDEO_TABLES: tuple[str, ...] = tuple(
    name for name in SCHEMAS if name not in ("rejected_urls", "playlist_entries")
)


def empty_table(name: str) -> pd.DataFrame:
    """A typed table with no rows."""
    return SCHEMAS[name].empty_table().to_pandas()


def conform(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Return `df` with exactly the schema's columns, in order, with its types.

    A missing column is an error (a stage forgot something); extra columns are too,
    so a table's shape only changes here.
    """
    schema = SCHEMAS[name]
    missing = [f for f in schema.names if f not in df.columns]
    extra = [c for c in df.columns if c not in schema.names]
    if missing or extra:
        raise ValueError(f"table {name!r}: missing columns {missing}, unexpected columns {extra}")
    table = pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)
    return table.to_pandas()


def to_arrow(df: pd.DataFrame, name: str | None = None) -> pa.Table:
    """Arrow table for writing; typed by the schema when the table is a known one."""
    if name in SCHEMAS:
        return pa.Table.from_pandas(
            df[SCHEMAS[name].names], schema=SCHEMAS[name], preserve_index=False
        )
    return pa.Table.from_pandas(df, preserve_index=False)
