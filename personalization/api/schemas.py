"""Request bodies and the per-row checks of a batch (pydantic models; no I/O)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from personalization.api.errors import ApiError
from personalization.core.signals import check_stars
from personalization.errors import CineSyncError
from personalization.service import check_film_id, check_user_id
from personalization.service.results import check_timestamp

__all__ = ["RatingBody", "FeedbackBody", "BatchRow", "BatchBody", "check_batch_rows", "check_text", "MAX_BATCH"]

MAX_BATCH = 10_000
MAX_CONTEXT_BYTES = 4_000


class _Strict(BaseModel):
    """No unknown fields and no type coercion: ``true`` is not 1 star or user 1, ``"4"`` is not
    4 stars (a whole JSON number still counts as a float)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def check_text(value: str, name: str) -> str:
    """PostgreSQL text cannot hold NUL characters: refuse them here rather than fail there."""
    if "\x00" in value:
        raise ApiError(422, "invalid_request", f"{name}: must not contain NUL (\\u0000) characters")
    return value


class RatingBody(_Strict):
    stars: float = Field(ge=0.5, le=5.0, allow_inf_nan=False, description="0.5 to 5 in half steps.", examples=[4.5])
    at: float | None = Field(
        None, ge=0, lt=4_102_444_800, allow_inf_nan=False, description="When it was rated, unix seconds (default: now)."
    )

    @field_validator("stars")
    @classmethod
    def _half_steps(cls, value: float) -> float:
        return check_stars(value)


class FeedbackBody(_Strict):
    film_id: int = Field(ge=0, le=2**31 - 1)
    kind: Literal["love", "like", "dislike", "hate", "not_interested"]
    context: dict[str, Any] | None = Field(
        None, description=f"Free-form JSON stored with the feedback (at most {MAX_CONTEXT_BYTES} bytes)."
    )

    @field_validator("context")
    @classmethod
    def _small_json(cls, value: dict | None) -> dict | None:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False)
        if "\\u0000" in text or "\x00" in text:
            raise ValueError("must not contain NUL (\\u0000) characters")
        if len(text.encode()) > MAX_CONTEXT_BYTES:
            raise ValueError(f"must be at most {MAX_CONTEXT_BYTES} bytes of JSON")
        return value


class BatchRow(_Strict):
    """Types only: the values are checked row by row so the report can name each bad row."""

    user_id: int
    film_id: int
    stars: float
    at: float = Field(description="Unix seconds. Required: it is what makes a re-sent batch a no-op.")


class BatchBody(_Strict):
    ratings: list[BatchRow] = Field(min_length=1, max_length=MAX_BATCH)


def check_batch_rows(
    rows: list[BatchRow], *, known_film: Callable[[int], bool]
) -> tuple[list[tuple[int, int, float, float]], list[dict]]:
    """The rows as service events, and a report ``[{row, message}]`` of every invalid one."""
    events, errors = [], []
    films: dict[int, bool] = {}
    for i, row in enumerate(rows):
        try:
            user = check_user_id(row.user_id)
            film = check_film_id(row.film_id)
            if film not in films:
                films[film] = known_film(film)
            if not films[film]:
                raise CineSyncError(f"unknown film {film}: import the catalogue first or check the id")
            events.append((user, film, check_stars(row.stars), check_timestamp(row.at)))
        except CineSyncError as exc:
            errors.append({"row": i, "message": str(exc)})
    return events, errors
