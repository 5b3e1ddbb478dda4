"""What ``Service.explain`` returns: one film's score for one user, taken apart (pure dataclasses)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from personalization.core.catalogue import Film
from personalization.core.reasons import Feature

__all__ = ["TermPart", "HistoryEffect", "Explanation"]


@dataclass(frozen=True)
class TermPart:
    """One term of the blend for the film: its weight, its scaled score (0 to 1) and their product."""

    term: str
    weight: float
    score: float
    part: float


@dataclass(frozen=True)
class HistoryEffect:
    """What one film of the user's history does to the film's score (score with it - without it)."""

    film: Film
    stars: float | None  # the rating (None: feedback only)
    feedback: str | None  # the feedback kind, when the latest signal is feedback
    contribution: float
    by_term: dict[str, float]


@dataclass(frozen=True)
class Explanation:
    """The full breakdown of one film's score for one user (``Service.explain``)."""

    user_id: int
    film: Film
    mode: str  # "personal" or "base", as in ``recommend``
    score: float  # sum of the terms' parts: what ``recommend`` ranks by
    rank: int  # where the film ranks among every film the user has not rated or reacted to
    candidates: int  # how many such films there are
    terms: list[TermPart]
    history: list[HistoryEffect]  # the largest effects, either sign, largest first
    films_measured: int  # history films whose effect was measured (newest first)
    n_history: int  # films the user rated or reacted to
    features: list[Feature]
    reasons: list[str]
    model_version: int | None

    def to_dict(self) -> dict[str, Any]:
        film = {k: v for k, v in asdict(self.film).items() if k != "metadata"}
        film["label"] = self.film.label
        return {
            "user_id": self.user_id,
            "film": film,
            "mode": self.mode,
            "score": self.score,
            "rank": self.rank,
            "candidates": self.candidates,
            "reasons": list(self.reasons),
            "terms": [asdict(t) for t in self.terms],
            "history": [
                {
                    "film_id": h.film.id,
                    "label": h.film.label,
                    "stars": h.stars,
                    "feedback": h.feedback,
                    "contribution": h.contribution,
                    "by_term": dict(h.by_term),
                }
                for h in self.history
            ],
            "films_measured": self.films_measured,
            "n_history": self.n_history,
            "features": [asdict(f) for f in self.features],
            "model_version": self.model_version,
        }
