"""`vid2learn serve`: a read-only HTTP API over the catalog (issue 13 item 4).

Starlette and uvicorn (the ASGI framework and server Dagster's webserver already brings).
Everything is read from the DuckDB views (the code at a moment from the video's own files
under the warehouse they read); nothing is reprocessed and nothing is written.
A path's video ID must be a partition key (`[A-Za-z0-9_-]`), so no request can name a
file: files are served only from the paths the catalog lists for that video. Errors are
JSON with a proper status: 404 for an unknown video or file, 422 for a bad timestamp or
kind. CORS is off unless origins are configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from vid2learn_dagster.storage.catalog import query
from vid2learn_dagster.storage.code_lookup import (
    VIDEO_KEY,
    UnknownVideo,
    code_at_time,
    parse_timestamp,
)

KINDS = ("CODE", "MIXED", "LEARNING")
_MEDIA_TYPES = {
    "timeline_md": "text/markdown; charset=utf-8",
    "timeline_json": "application/json",
    "srt": "application/x-subrip",
    "vtt": "text/vtt; charset=utf-8",
    "code": "text/plain; charset=utf-8",
}


def _records(catalog: Path, sql: str, params: Sequence[object]) -> list[dict]:
    frame = query(catalog, sql, list(params))
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _video_id(request: Request) -> str:
    video_id = request.path_params["video_id"]
    if not VIDEO_KEY.fullmatch(video_id):
        raise HTTPException(404, f"no video {video_id!r}")
    return video_id


def _video(catalog: Path, video_id: str) -> dict:
    rows = _records(
        catalog,
        "SELECT video_id, title, url, webpage_url, duration, uploader, license "
        "FROM videos WHERE video_id = ?",
        [video_id],
    )
    if not rows:
        raise HTTPException(404, f"no video {video_id!r}")
    return rows[0]


def _export_path(catalog: Path, video_id: str, kind: str) -> Path:
    _video(catalog, video_id)
    rows = _records(
        catalog, "SELECT path FROM exports WHERE video_id = ? AND kind = ?", [video_id, kind]
    )
    if not rows or not Path(rows[0]["path"]).is_file():
        raise HTTPException(404, f"video {video_id!r} has no {kind} export")
    return Path(rows[0]["path"])


def build_app(catalog: Path, warehouse: str, cors_origins: Sequence[str] = ()) -> Starlette:
    """The API over the catalog at `catalog` (a DuckDB file the pipeline refreshes) and the
    `warehouse` its views read (the code lookup reads one video's files there)."""

    async def videos(request: Request) -> Response:
        return JSONResponse(
            _records(catalog, "SELECT video_id, title, duration FROM videos ORDER BY 1", [])
        )

    async def video(request: Request) -> Response:
        video_id = _video_id(request)
        found = _video(catalog, video_id)
        found["exports"] = sorted(
            r["kind"]
            for r in _records(catalog, "SELECT kind FROM exports WHERE video_id = ?", [video_id])
        )
        return JSONResponse(found)

    async def code(request: Request) -> Response:
        video_id = _video_id(request)
        try:
            seconds = parse_timestamp(request.query_params.get("t", ""))
            tolerance = float(request.query_params.get("tolerance", "0"))
        except ValueError as err:
            raise HTTPException(422, str(err)) from err
        try:
            return JSONResponse(code_at_time(warehouse, video_id, seconds, tolerance))
        except UnknownVideo as err:
            raise HTTPException(404, str(err)) from err

    async def segments(request: Request) -> Response:
        video_id = _video_id(request)
        _video(catalog, video_id)
        kind = request.query_params.get("kind")
        if kind is not None and kind not in KINDS:
            raise HTTPException(422, f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        sql = 'SELECT start, "end", kind, title, snippet, version FROM video_segments '
        sql += "WHERE video_id = ?" + (" AND kind = ?" if kind else "") + " ORDER BY start"
        return JSONResponse(_records(catalog, sql, [video_id, *([kind] if kind else [])]))

    async def timeline(request: Request) -> Response:
        path = _export_path(catalog, _video_id(request), "timeline_md")
        return PlainTextResponse(path.read_text(), media_type=_MEDIA_TYPES["timeline_md"])

    async def notebook(request: Request) -> Response:
        video_id = _video_id(request)
        _video(catalog, video_id)
        rows = _records(
            catalog, "SELECT notebook_path FROM notebooks WHERE video_id = ?", [video_id]
        )
        if not rows or not Path(rows[0]["notebook_path"]).is_file():
            raise HTTPException(404, f"video {video_id!r} has no notebook")
        path = Path(rows[0]["notebook_path"])
        return FileResponse(path, media_type="application/x-ipynb+json", filename=path.name)

    async def export(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in _MEDIA_TYPES:
            raise HTTPException(404, f"no export {kind!r}")
        path = _export_path(catalog, _video_id(request), kind)
        return FileResponse(path, media_type=_MEDIA_TYPES[kind], filename=path.name)

    async def transcript(request: Request) -> Response:
        kind = request.path_params["format"]
        if kind not in ("srt", "vtt"):
            raise HTTPException(404, f"no transcript format {kind!r}")
        path = _export_path(catalog, _video_id(request), kind)
        return FileResponse(path, media_type=_MEDIA_TYPES[kind], filename=path.name)

    async def error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return JSONResponse({"error": detail, "status": status}, status_code=status)

    middleware = (
        [Middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET"])]
        if cors_origins
        else []
    )
    return Starlette(
        routes=[
            Route("/videos", videos),
            Route("/videos/{video_id}", video),
            Route("/videos/{video_id}/code", code),
            Route("/videos/{video_id}/segments", segments),
            Route("/videos/{video_id}/timeline", timeline),
            Route("/videos/{video_id}/notebook", notebook),
            Route("/videos/{video_id}/exports/{kind}", export),
            Route("/videos/{video_id}/transcript.{format}", transcript),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: error, Exception: error},
    )
