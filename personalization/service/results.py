"""What the service's verbs return, and the checks on the ids they take (no I/O)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from personalization.core.catalogue import Film
from personalization.errors import CineSyncError, UnknownFilm

__all__ = [
    "RateResult",
    "FeedbackResult",
    "IngestResult",
    "Recommendation",
    "Recommendations",
    "Status",
    "check_user_id",
    "check_film_id",
    "check_timestamp",
    "MAX_USER_ID",
    "MAX_FILM_ID",
]

MAX_USER_ID = 2**63 - 1
MAX_FILM_ID = 2**31 - 1


def check_user_id(user_id) -> int:
    """A user id is a whole number from 0 to 2^63-1 (a Discord snowflake fits)."""
    bad = CineSyncError(f"user id must be a whole number from 0 to 2^63-1, got {user_id!r}")
    if isinstance(user_id, bool) or (isinstance(user_id, float) and not user_id.is_integer()):
        raise bad
    try:
        value = int(user_id.strip()) if isinstance(user_id, str) else int(user_id)
    except (TypeError, ValueError, OverflowError):
        raise bad from None
    if not 0 <= value <= MAX_USER_ID:
        raise bad
    return value


def check_film_id(film_id) -> int:
    try:
        value = int(film_id)
    except (TypeError, ValueError):
        raise UnknownFilm(film_id) from None
    if not 0 <= value <= MAX_FILM_ID:
        raise UnknownFilm(film_id)
    return value


# Ratings are dated from 1970 (unix time 0) up to the year 2100: anything outside is a unit
# mistake (milliseconds), a placeholder or garbage, and would not fit a timestamp column.
MIN_TIMESTAMP = 0.0
MAX_TIMESTAMP = 4_102_444_800.0  # 2100-01-01T00:00:00Z


def check_timestamp(value) -> float:
    """Unix seconds from 1970 to 2100, as a float; anything else raises a CineSyncError."""
    try:
        ts = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise CineSyncError(f"timestamp must be unix seconds, got {value!r}") from None
    if not MIN_TIMESTAMP <= ts < MAX_TIMESTAMP:  # also false for nan and inf
        hint = " (it looks like milliseconds: divide by 1000)" if MAX_TIMESTAMP <= ts < MAX_TIMESTAMP * 1000 else ""
        raise CineSyncError(f"timestamp must be unix seconds between 1970 and 2100, got {value!r}{hint}")
    return ts


@dataclass(frozen=True)
class RateResult:
    user_id: int
    film_id: int
    stars: float
    replaced: bool  # the user had rated this film before: its effect was replaced
    n_ratings: int
    personalised: bool  # enough films rated or reacted to for personal picks (feedback counts)


@dataclass(frozen=True)
class IngestResult:
    """What a bulk import did with its ratings."""

    applied: int  # new ratings, or changed ones newer than what was stored
    unchanged: int  # identical to the stored rating (a re-import)
    skipped_older: int  # older than the stored rating for that film: the newer one is kept

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(
            self.applied + other.applied, self.unchanged + other.unchanged, self.skipped_older + other.skipped_older
        )

    def summary(self) -> str:
        older = f", {self.skipped_older} skipped as older than the stored rating" if self.skipped_older else ""
        return f"{self.applied} new or changed, {self.unchanged} unchanged{older}"


@dataclass(frozen=True)
class FeedbackResult:
    user_id: int
    film_id: int
    kind: str
    n_feedback: int


@dataclass(frozen=True)
class Recommendation:
    film: Film
    score: float
    personal: float
    base: float
    base_model: str
    reason: str

    def to_dict(self) -> dict:
        d = asdict(self)
        d["film"] = {k: v for k, v in d["film"].items() if k != "metadata"}
        return d


@dataclass(frozen=True)
class Recommendations:
    user_id: int
    mode: str  # "personal" or "base" (fewer than min_ratings films rated or reacted to)
    items: list[Recommendation]
    n_ratings: int  # films the user rated or gave feedback on (what min_ratings counts)
    blend_weight: float
    min_ratings: int
    # the published collaborative models' version served (``cinesync train``); None: none yet,
    # the picks come from the content and popularity terms only
    model_version: int | None = None
    # the filters asked for, by name (genre, decade, mood as the service named it); empty: none
    filters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "user_id": self.user_id,
            "mode": self.mode,
            "n_ratings": self.n_ratings,
            "blend_weight": self.blend_weight,
            "min_ratings": self.min_ratings,
            "model_version": self.model_version,
            "filters": dict(self.filters),
            "items": [r.to_dict() for r in self.items],
        }


@dataclass(frozen=True)
class Status:
    films: int
    users: int
    ratings: int
    feedback: int
    personalised_users: int
    model_versions: list[str]
    current_model_version: str
    database: str
    cache: dict = field(default_factory=dict)
    # the collaborative models: the version this process serves (None: none yet, content and
    # popularity only) and the newest published versions (``ModelVersion.to_dict``), newest first
    models_served: int | None = None
    models_published: list = field(default_factory=list)
