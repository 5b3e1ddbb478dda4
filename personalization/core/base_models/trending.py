"""Trending: popularity with a memory that fades, so what people rate *now* counts most.

Each rating adds ``0.5 ** (age / half_life)`` to its film, age counted in ratings since (so it
works the same on a stream replayed in a second or one arriving over years). A rating event
costs O(1): instead of decaying every film, later events are added with a growing weight and
the whole array is rescaled once in a while.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from personalization.core.base_models.base import Arrays, BaseModel, FloatArray, IntArray, ModelSpec, Param, Ratings
from personalization.core.base_models.lookup import CandidateGather, IdIndex

__all__ = ["Trending", "SPEC"]

_RESCALE_AT = 1e150


class Trending(BaseModel):
    """
    >>> import numpy as np
    >>> from personalization.core.base_models import Ratings
    >>> m = Trending(half_life=1.0).fit(Ratings(np.array([1, 2, 3]), np.array([10, 10, 20]), np.full(3, 5.0)))
    >>> [round(float(s), 3) for s in m.score({}, np.array([10, 20]))]
    [0.75, 1.0]
    """

    name = "trending"

    def __init__(self, half_life: float = 2000.0, min_stars: float = 0.0):
        if half_life <= 0:
            raise ValueError(f"half_life must be > 0, got {half_life}")
        self.half_life, self.min_stars = float(half_life), float(min_stars)
        self.growth = 2.0 ** (1.0 / self.half_life)
        self.index = IdIndex()
        self.mass: FloatArray = np.zeros(0, np.float64)
        self.weight = 1.0  # what the next rating adds (grows instead of decaying the rest)
        self._gather = CandidateGather()

    def fit(self, ratings: Ratings) -> Trending:
        """What ``learn_one`` over ``ratings`` in order leaves, at once: the j-th newest rating
        weighs ``0.5 ** (j / half_life)`` (computed from the newest back, so nothing overflows)."""
        self.index = IdIndex(ratings.films)
        n = len(ratings)
        age = np.arange(n - 1, -1, -1, dtype=np.float64)
        counted = ratings.stars >= self.min_stars
        pos = self.index.positions(ratings.films)
        weights = np.exp2(-age[counted] / self.half_life)
        self.mass = np.bincount(pos[counted], weights=weights, minlength=len(self.index)).astype(np.float64)
        self.weight = self.growth  # the newest rating weighed 1: the next one weighs growth
        return self

    def learn_one(self, user: int, film: int, stars: float) -> None:
        pos, grown = self.index.add(film)
        if grown:
            self.mass = np.insert(self.mass, pos, 0.0)
        if stars >= self.min_stars:
            self.mass[pos] += self.weight
        self.weight *= self.growth
        if self.weight > _RESCALE_AT:
            self.mass /= self.weight
            self.weight = 1.0

    def score(self, history: Mapping[int, float], candidates: IntArray, user: int | None = None) -> FloatArray:
        """Decayed counts scaled so the newest rating weighs 1 (unknown films: just below 0)."""
        return self._gather(self.mass / (self.weight / self.growth), self.index, candidates)

    def state(self) -> Arrays:
        """The decayed counts per film and the next rating's weight; ``learn_one`` keeps
        counting (and decaying) online after ``load_state``."""
        return {"items": self.index.ids, "mass": self.mass, "weight": np.array(self.weight)}

    def load_state(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        index, mass = IdIndex(arrays["items"]), np.asarray(arrays["mass"], np.float64)
        if len(index) != len(mass):
            raise ValueError("trending: items and mass must have the same length")
        self.index, self.mass, self.weight = index, mass.copy(), float(arrays["weight"])


SPEC = ModelSpec(
    "trending",
    Trending,
    weight=0.0953,
    summary="popularity that fades: what people rate now",
    params=(
        Param(
            "trending_half_life",
            "half_life",
            2000.0,
            float,
            minimum=1e-9,
            help="in ratings (community-wide): how fast a rating's weight halves",
        ),
    ),
)
