"""A DuckDB catalog: one view per table over the Parquet warehouse.

The warehouse holds `<base>/<asset>/<video_id>.parquet` (resources/storage/parquet_io.py); the
catalog file holds only views, so analysts open it (`duckdb -readonly catalog.duckdb`)
and query every video at once while the data stays in Parquet.

The catalog is rebuilt in a temporary file and renamed into place: DuckDB lets one
process hold a file for writing and refuses it while anyone else has it open, even
read-only, so rewriting in place would fail whenever an analyst has the catalog open,
or when two Dagster runs refresh at once. A reader that is already connected keeps
seeing the previous catalog; a new connection sees the new one. Consequence: the
catalog is derived, so tables or views that users add to it are lost on refresh (keep
them in a database of your own that `ATTACH`es this one).

For an object-store warehouse (`s3://...`) the views read through DuckDB's httpfs
extension, which is installed and loaded on refresh (this needs network access once);
credentials are DuckDB's (`CREATE SECRET`), not fsspec's, and every reading session
needs httpfs too (DuckDB autoloads it for s3:// paths once installed).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from upath import UPath

from vid2learn_dagster.storage.files import atomic_path
from vid2learn_dagster.storage.tables import SCHEMAS

# Asset name -> view name: plural nouns read better in SQL for the per-video tables.
VIEW_NAMES: dict[str, str] = {
    name: {"source_video": "videos", "notebook": "notebooks"}.get(name, name) for name in SCHEMAS
}

VIEW_DOCS: dict[str, str] = {
    "videos": "One row per video: URL, title, uploader, licence, duration, size, local file.",
    "audio": "The extracted 16 kHz mono audio track of each video.",
    "transcript_segments": "Speech-to-text segments with start/end seconds and confidence.",
    "transcript_words": "Word-level timestamps and probabilities of the transcript.",
    "term_corrections": (
        "Mis-heard words replaced by a term shown on screen: which words, what was heard, "
        "the term and its source (title, slide or code), and how much likelier Whisper "
        "found the term where hearing decided."
    ),
    "keyframes": (
        "One representative frame per detected slide or scene, with its time range and, "
        "for a slide built up step by step, the times of its builds."
    ),
    "reading_frames": (
        "Every distinct picture of each scene that was read: frame 0 is the keyframe, the "
        "others show what it does not (a build, a new code slide)."
    ),
    "chunks": "Transcript text grouped by scene: the units of the notebook sections.",
    "notebooks": "The generated Jupyter notebook of each video and its size.",
    "exports": (
        "The files beside each notebook: timeline (markdown, JSON), all the code, SRT and "
        "WebVTT subtitles with speaker names."
    ),
    "frame_readings": "What each reading frame showed: its text, code and title.",
    "code_snippets": (
        "Each version of each code listing shown, with when it was on screen, its language, "
        "the share of readings that agree and whether it parses."
    ),
    "video_segments": (
        "The video's moments in order: CODE, MIXED or LEARNING, with the slide title and the "
        "code version on screen."
    ),
    "video_summary": (
        "Each video in a few lines: abstract, keywords, hashtags and suggested questions "
        "(JSON: question, answer, supporting times)."
    ),
    "notebook_sections": (
        "Each notebook section: title, time span, supporting chunks, teaching text, code "
        "cells, quiz questions (JSON) and the model sentences written and kept."
    ),
    "visual_descriptions": (
        "What each keyframe shows: description, on-screen text, code, and the slide title "
        "the reader saw (set larger than the rest)."
    ),
    "rewritten_chunks": "Chunks rewritten by a language model into readable prose.",
    "blended_chunks": "Speech and on-screen content merged into one text per chunk.",
    "topic_segments": "Consecutive chunks grouped into topics.",
    "speaker_turns": (
        "Who speaks when (speaker diarization): `overlap` rows are speech over the voice "
        "holding the floor."
    ),
    "video_urls": "The URL each video was added from, its URL list and when.",
    "rejected_urls": "URL-list lines that were not accepted, with the reason.",
    "playlist_entries": "The videos each playlist or channel listed when it was last checked.",
    "deleted_videos": (
        "Videos removed with `vid2learn delete`, with their URL and when: the URL-list and "
        "playlist sensors do not add them again."
    ),
}

# Arrow -> DuckDB types for the typed empty views; an unmapped type fails loudly so a
# new column type in tables.py is noticed here (test_catalog checks every schema).
_SCALAR_TYPES = {
    pa.string(): "VARCHAR",
    pa.large_string(): "VARCHAR",
    pa.float64(): "DOUBLE",
    pa.float32(): "FLOAT",
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.bool_(): "BOOLEAN",
}

# `[!.]` skips hidden files: the IO manager writes `.<name>.<id>.tmp.parquet` before
# renaming (vid2learn_dagster.storage.files), and DuckDB's `*` matches hidden files, so a plain
# `*.parquet` would read a half-written file during a run.
PARQUET_GLOB = "[!.]*.parquet"


def duckdb_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return duckdb_type(arrow_type.value_type) + "[]"
    if arrow_type in _SCALAR_TYPES:
        return _SCALAR_TYPES[arrow_type]
    raise TypeError(f"no DuckDB type mapped for Arrow type {arrow_type}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def view_sql(name: str, base_path: str, has_files: bool) -> str:
    """The statement that (re)creates the view of asset `name`.

    Without files DuckDB cannot bind `read_parquet` ("No files found"), so the view is
    an empty select with the schema's columns and types instead.
    """
    view = _identifier(VIEW_NAMES[name])
    if has_files:
        pattern = f"{base_path.rstrip('/')}/{name}/{PARQUET_GLOB}"
        return (
            f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM "
            f"read_parquet({_literal(pattern)}, union_by_name=true)"
        )
    columns = ", ".join(
        f"CAST(NULL AS {duckdb_type(field.type)}) AS {_identifier(field.name)}"
        for field in SCHEMAS[name]
    )
    return f"CREATE OR REPLACE VIEW {view} AS SELECT {columns} WHERE false"


def _is_local(base: UPath) -> bool:
    return base.protocol in ("", "file", "local")


def _has_files(folder: UPath) -> bool:
    return any(not p.name.startswith(".") for p in folder.glob("*.parquet"))


def refresh_catalog(db_path: Path | str, base_path: str) -> list[str]:
    """Rebuild every view in a fresh catalog file and rename it over `db_path`."""
    base = UPath(base_path)
    remote = not _is_local(base)
    # Views store the path as written: a relative one would resolve against the working
    # directory of whoever queries, not of whoever refreshed.
    location = str(base) if remote else str(Path(base.path).resolve())
    statements = [view_sql(name, location, _has_files(UPath(location) / name)) for name in SCHEMAS]
    # Each view says what it holds, where analysts look (`duckdb_views()`, `\d` in clients).
    views = [VIEW_NAMES[name] for name in SCHEMAS]
    statements += [f"COMMENT ON VIEW {_identifier(v)} IS {_literal(VIEW_DOCS[v])}" for v in views]
    with atomic_path(Path(db_path)) as tmp:
        try:
            _build(tmp, statements, remote=remote)
        finally:
            # A failed build may leave DuckDB's write-ahead log beside the temporary file.
            with contextlib.suppress(FileNotFoundError):
                tmp.with_name(tmp.name + ".wal").unlink()
    return views


def _build(path: Path, statements: list[str], *, remote: bool) -> None:
    con = duckdb.connect(str(path))
    try:
        if remote:
            con.execute("INSTALL httpfs")
            con.execute("LOAD httpfs")
        con.execute("BEGIN TRANSACTION")
        for statement in statements:
            con.execute(statement)
        con.execute("COMMIT")
    finally:
        con.close()


def query(db_path: Path | str, sql: str, params: list[object] | None = None) -> pd.DataFrame:
    """Run `sql` (with `?` placeholders bound to `params`) on a read-only connection, as an
    analyst would."""
    if not Path(db_path).is_file():
        raise FileNotFoundError(f"no catalog at {db_path}: refresh it first")
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def _cell(value: object) -> str:
    # Lists and arrays first: pd.isna on them is element-wise. DuckDB returns lists as
    # numpy arrays, whose items print as `np.int64(0)`; tolist() gives plain values.
    if not pd.api.types.is_scalar(value):
        return str(np.asarray(value).tolist())
    return "NULL" if pd.isna(value) else str(value)


def format_result(df: pd.DataFrame, fmt: str = "table") -> str:
    """Render a query result as aligned text (`table`), `csv`, or `json` (list of records)."""
    if fmt == "csv":
        out = io.StringIO()
        df.to_csv(out, index=False, lineterminator="\n")
        return out.getvalue()
    if fmt == "json":
        return df.to_json(orient="records", date_format="iso", force_ascii=False)
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}: use table, csv or json")
    header = [str(c) for c in df.columns]
    rows = [[_cell(v) for v in row] for row in df.itertuples(index=False)]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]

    def line(values: list[str]) -> str:
        cells = (
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        )
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)]) + "\n"
