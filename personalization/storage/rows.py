"""The typed rows the repository returns: one type per statement shape, named after its columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple, TypedDict

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Vector",
    "EmbeddingRow",
    "FilmRow",
    "PreviousSignal",
    "EffectiveSignal",
    "HistoryRow",
    "StoredWeights",
    "StatusCounts",
    "CommunitySums",
    "RatingRow",
    "UserSummary",
    "Fan",
    "DayCount",
    "DayKindCount",
    "StarCount",
    "GenreLove",
    "Overview",
]

Vector = NDArray[np.float32]


@dataclass
class EmbeddingRow:
    """A user's row in ``user_embeddings``: the taste vector and the counters beside it.
    Mutable: a write updates the counters, then stores the row back."""

    embedding: Vector
    dim: int
    n_ratings: int
    n_feedback: int
    model_version: str
    last_event_at: datetime | None


class FilmRow(NamedTuple):
    id: int
    title: str
    year: int | None
    genres: list[str] | None
    directors: list[str] | None
    actors: list[str] | None
    metadata: dict[str, Any] | None


class PreviousSignal(NamedTuple):
    """What the user had told about a film before this event."""

    stars: float | None  # their rating, if any
    had_feedback: bool


class EffectiveSignal(NamedTuple):
    """The latest rating or feedback on one film (exactly one of ``stars`` and ``kind`` is set)."""

    film_id: int
    stars: float | None
    kind: str | None
    at: datetime


class HistoryRow(NamedTuple):
    """``signals.History.from_rows``' input: the rating, and the kind of newer feedback."""

    film_id: int
    stars: float | None
    newer_feedback: str | None


class StoredWeights(NamedTuple):
    blend_weight: float
    model_weights: dict[str, float]


class StatusCounts(NamedTuple):
    films: int
    users: int
    ratings: int
    feedback: int
    personalised_users: int
    model_versions: list[str]


class CommunitySums(NamedTuple):
    n: int
    total: float
    squares: float


class RatingRow(NamedTuple):
    user_id: int
    film_id: int
    stars: float
    at: float  # unix seconds


# -- browsing: the shapes the bot and the dashboards read by key ------------------------------
class UserSummary(TypedDict):
    id: int
    name: str | None
    n_ratings: int
    n_feedback: int


class Fan(TypedDict):
    user_id: int
    name: str | None
    stars: float


class DayCount(NamedTuple):
    day: date
    n: int


class DayKindCount(NamedTuple):
    day: date
    kind: str
    n: int


class StarCount(NamedTuple):
    stars: float
    n: int


class GenreLove(NamedTuple):
    genre: str
    loved: int  # ratings of 4 stars or more
    rated: int
    mean_stars: float


class Overview(TypedDict):
    ratings_per_day: list[DayCount]
    feedback_per_day: list[DayKindCount]
    star_distribution: list[StarCount]
    genres: list[GenreLove]
