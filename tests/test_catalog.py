"""The DuckDB catalog: views over `<warehouse>/<asset>/<video_id>.parquet`, as analysts use them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from resources.storage.catalog import DuckDBCatalog
from vid2learn_dagster.storage.catalog import (
    VIEW_DOCS,
    VIEW_NAMES,
    duckdb_type,
    format_result,
    query,
    refresh_catalog,
    view_sql,
)
from vid2learn_dagster.storage.tables import SCHEMAS

ROWS = {"lecture-a": 3, "lecture-b": 2}
ONE_ROW_PER_VIDEO = {"source_video", "audio", "notebook", "video_urls"}


def _rows(name: str, video_id: str) -> int:
    return 1 if name in ONE_ROW_PER_VIDEO else ROWS[video_id]


def _value(arrow_type: pa.DataType, video_id: str, column: str, i: int) -> object:
    if pa.types.is_list(arrow_type):
        return [_value(arrow_type.value_type, video_id, column, j) for j in range(i + 1)]
    if pa.types.is_string(arrow_type):
        return f"{video_id}/{column}/{i}"
    if pa.types.is_boolean(arrow_type):
        return i % 2 == 0
    if pa.types.is_integer(arrow_type):
        return i
    return i * 1.5


def write_table(base: Path, name: str, video_id: str, rows: int) -> Path:
    """One asset's Parquet file for one video, laid out as the IO manager writes it."""
    schema = SCHEMAS[name]
    records = [
        {
            f.name: video_id if f.name == "video_id" else _value(f.type, video_id, f.name, i)
            for f in schema
        }
        for i in range(rows)
    ]
    path = base / name / f"{video_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(records, schema=schema), path)
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """Every table for two videos: 3 rows for lecture-a, 2 for lecture-b (1 in per-video tables)."""
    base = tmp_path / "warehouse"
    for name in SCHEMAS:
        for video_id in ROWS:
            write_table(base, name, video_id, _rows(name, video_id))
    return base


def _describe(con: duckdb.DuckDBPyConnection, view: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f'DESCRIBE "{view}"').fetchall()]


def test_every_table_has_a_view_with_every_row(warehouse: Path, tmp_path: Path) -> None:
    db = tmp_path / "catalog.duckdb"
    views = refresh_catalog(db, str(warehouse))
    assert views == [VIEW_NAMES[name] for name in SCHEMAS]
    assert {"videos", "notebooks", "transcript_segments", "chunks"} <= set(views)
    for name in SCHEMAS:
        count = query(db, f'SELECT count(*) AS n FROM "{VIEW_NAMES[name]}"').n[0]
        assert count == sum(_rows(name, video_id) for video_id in ROWS), name
    per_video = query(
        db, "SELECT video_id, count(*) AS n FROM transcript_segments GROUP BY 1 ORDER BY 1"
    )
    assert per_video.to_dict("records") == [
        {"video_id": "lecture-a", "n": 3},
        {"video_id": "lecture-b", "n": 2},
    ]
    # List columns stay lists: segment_ids of rows 0, 1, 2 hold 1, 2, 3 ids.
    total = query(db, "SELECT sum(len(segment_ids)) AS n FROM chunks WHERE video_id = 'lecture-a'")
    assert total.n[0] == 6
    # Joins across views work as analysts would write them.
    joined = query(
        db,
        "SELECT v.video_id, count(*) AS n FROM videos v JOIN keyframes k USING (video_id) "
        "GROUP BY 1 ORDER BY 1",
    )
    assert joined.n.tolist() == [3, 2]


def test_empty_warehouse_gives_typed_empty_views(warehouse: Path, tmp_path: Path) -> None:
    """An empty view has the same columns and types as one over real files."""
    empty_db = tmp_path / "empty.duckdb"
    full_db = tmp_path / "full.duckdb"
    assert refresh_catalog(empty_db, str(tmp_path / "nothing-here")) == list(VIEW_NAMES.values())
    refresh_catalog(full_db, str(warehouse))
    empty = duckdb.connect(str(empty_db), read_only=True)
    full = duckdb.connect(str(full_db), read_only=True)
    for name, view in VIEW_NAMES.items():
        assert empty.execute(f'SELECT count(*) FROM "{view}"').fetchone() == (0,)
        described = _describe(empty, view)
        assert described == _describe(full, view), name
        assert described == [(f.name, duckdb_type(f.type)) for f in SCHEMAS[name]]
    assert ("segment_ids", "BIGINT[]") in _describe(empty, "chunks")
    empty.close()
    full.close()


def test_new_files_appear(warehouse: Path, tmp_path: Path) -> None:
    """A view over files re-globs on every query; an empty view needs a refresh to see files."""
    db = tmp_path / "catalog.duckdb"
    base = tmp_path / "second"
    write_table(base, "chunks", "lecture-a", 3)
    refresh_catalog(db, str(base))
    assert query(db, "SELECT count(*) AS n FROM speaker_turns").n[0] == 0

    write_table(base, "chunks", "lecture-c", 4)
    write_table(base, "speaker_turns", "lecture-c", 4)
    assert query(db, "SELECT count(*) AS n FROM chunks").n[0] == 7
    assert query(db, "SELECT count(*) AS n FROM speaker_turns").n[0] == 0
    refresh_catalog(db, str(base))
    assert query(db, "SELECT count(*) AS n FROM speaker_turns").n[0] == 4


def test_half_written_files_are_not_read(warehouse: Path, tmp_path: Path) -> None:
    """The IO manager's temporary `.<name>.<id>.tmp.parquet` beside the real files is skipped."""
    (warehouse / "chunks" / ".lecture-c.parquet.0123abcd.tmp.parquet").write_bytes(b"PAR1 partial")
    db = tmp_path / "catalog.duckdb"
    refresh_catalog(db, str(warehouse))
    assert query(db, "SELECT count(*) AS n FROM chunks").n[0] == 5


ANALYST = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute("SELECT count(*) FROM transcript_segments").fetchone()[0], flush=True)
    sys.stdin.readline()  # keep the catalog open until told to stop
    print(con.execute("SELECT count(*) FROM transcript_segments").fetchone()[0], flush=True)
    """
)


def test_analyst_session_in_another_process(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only session elsewhere (another folder, another process) reads the views, and a
    refresh while it is open succeeds: the catalog is replaced, not locked and rewritten."""
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "catalog.duckdb"
    refresh_catalog(db, "warehouse")  # relative: the views must still work from elsewhere
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(db)],
        cwd="/",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert analyst.stdout.readline().strip() == "5", analyst.stderr.read()
        write_table(warehouse, "transcript_segments", "lecture-c", 1)
        refresh_catalog(db, str(warehouse))
        assert query(db, "SELECT count(*) AS n FROM transcript_segments").n[0] == 6
        out, err = analyst.communicate("\n", timeout=60)
    finally:
        analyst.kill()
    # The open session keeps its catalog; the view re-globs, so it sees the new file too.
    assert out.strip() == "6", err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.duckdb", "warehouse"]


def test_query_is_read_only(warehouse: Path, tmp_path: Path) -> None:
    db = tmp_path / "catalog.duckdb"
    refresh_catalog(db, str(warehouse))
    with pytest.raises(duckdb.Error, match="read-only"):
        query(db, "CREATE TABLE t AS SELECT 1")
    with pytest.raises(FileNotFoundError, match="refresh it first"):
        query(tmp_path / "missing.duckdb", "SELECT 1")


def test_view_sql() -> None:
    assert view_sql("source_video", "/w/h's", True) == (
        'CREATE OR REPLACE VIEW "videos" AS SELECT * FROM '
        "read_parquet('/w/h''s/source_video/[!.]*.parquet', union_by_name=true)"
    )
    assert view_sql("speaker_turns", "s3://bucket/wh/", False) == (
        'CREATE OR REPLACE VIEW "speaker_turns" AS SELECT CAST(NULL AS VARCHAR) AS "video_id", '
        'CAST(NULL AS DOUBLE) AS "start", CAST(NULL AS DOUBLE) AS "end", '
        'CAST(NULL AS VARCHAR) AS "speaker", CAST(NULL AS BOOLEAN) AS "overlap" WHERE false'
    )
    with pytest.raises(TypeError, match="no DuckDB type"):
        duckdb_type(pa.timestamp("s"))


def test_every_view_says_what_it_holds_where_analysts_look(tmp_path: Path) -> None:
    assert VIEW_NAMES["source_video"] == "videos"
    assert VIEW_NAMES["notebook"] == "notebooks"
    db = tmp_path / "catalog.duckdb"
    refresh_catalog(db, str(tmp_path / "empty-warehouse"))
    comments = dict(
        query(db, "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").values
    )
    assert comments == {view: VIEW_DOCS[view] for view in VIEW_NAMES.values()}
    assert all(doc and "\n" not in doc for doc in comments.values())


RESULT = pd.DataFrame(
    {
        "video_id": ["lecture-a", "b"],
        "start": [1.5, 120.25],
        "segment_ids": [[0, 1], []],
        "title": ["Intro, part 1", None],
    }
)


def test_format_table_aligns_columns() -> None:
    assert format_result(RESULT, "table") == (
        "video_id    start  segment_ids  title\n"
        "---------  ------  -----------  -------------\n"
        "lecture-a     1.5  [0, 1]       Intro, part 1\n"
        "b          120.25  []           NULL\n"
    )


def test_format_csv_and_json() -> None:
    assert format_result(RESULT, "csv").splitlines() == [
        "video_id,start,segment_ids,title",
        'lecture-a,1.5,"[0, 1]","Intro, part 1"',
        "b,120.25,[],",
    ]
    assert json.loads(format_result(RESULT, "json")) == [
        {"video_id": "lecture-a", "start": 1.5, "segment_ids": [0, 1], "title": "Intro, part 1"},
        {"video_id": "b", "start": 120.25, "segment_ids": [], "title": None},
    ]
    with pytest.raises(ValueError, match="unknown format"):
        format_result(RESULT, "xml")


def test_format_a_real_query_result(warehouse: Path, tmp_path: Path) -> None:
    """DuckDB hands list columns back as arrays; all formats still render them."""
    db = tmp_path / "catalog.duckdb"
    refresh_catalog(db, str(warehouse))
    df = query(db, "SELECT chunk_id, segment_ids FROM chunks WHERE video_id = 'lecture-b'")
    assert format_result(df, "table").splitlines()[2:] == ["       0  [0]", "       1  [0, 1]"]
    assert json.loads(format_result(df, "json")) == [
        {"chunk_id": 0, "segment_ids": [0]},
        {"chunk_id": 1, "segment_ids": [0, 1]},
    ]


def test_resource_refreshes_and_queries(warehouse: Path, tmp_path: Path) -> None:
    catalog = DuckDBCatalog(database=str(tmp_path / "c.duckdb"), warehouse=str(warehouse))
    assert "videos" in catalog.refresh()
    assert catalog.query("SELECT count(*) AS n FROM videos").n[0] == 2
