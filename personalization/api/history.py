"""``POST /users/{user_id}/history``: a member's Letterboxd or IMDb export, imported as ratings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request

from personalization.api.errors import ApiError
from personalization.api.schemas import check_text

__all__ = ["add_history_route"]

MAX_USER_ID = 2**63 - 1
UserId = Annotated[int, Path(ge=0, le=MAX_USER_ID, description="The engine's user id (a Discord snowflake fits).")]


def add_history_route(app: FastAPI, svc: Any, write: list[Any]) -> None:
    """Register the route on ``app`` over the service ``svc``, behind the write-key check."""

    @app.post(
        "/users/{user_id}/history",
        tags=["ratings"],
        dependencies=write,
        summary="Import a Letterboxd or IMDb ratings export as this user's ratings",
        description=(
            "The request body is the export file itself: Letterboxd's ratings.csv (or its export zip) or "
            "IMDb's ratings CSV. Films are matched by IMDb id, else by title and year; the answer reports "
            "what matched, what was ambiguous and what was not found. A malformed file is a 422 naming "
            "the line, and nothing is written. `dry_run=true` only reports."
        ),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/zip": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
    )
    async def post_history(
        user_id: UserId,
        request: Request,
        dry_run: Annotated[bool, Query(description="Report the matches; store nothing.")] = False,
        filename: Annotated[str, Query(max_length=200, description="Named in error messages.")] = "export.csv",
    ) -> dict:
        from starlette.concurrency import run_in_threadpool

        from personalization.data.letterboxd import MAX_BYTES, import_history

        data = await request.body()
        if len(data) > MAX_BYTES:
            raise ApiError(413, "too_large", f"the export is over {MAX_BYTES // 1_000_000} MB; send ratings.csv")
        check_text(filename, "filename")
        report = await run_in_threadpool(import_history, svc, user_id, data, filename, dry_run=dry_run)
        return {"user_id": user_id, "dry_run": dry_run, **report.as_dict()}
