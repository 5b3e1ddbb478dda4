"""Trending: popularity with a memory that fades, so what people rate *now* counts most.

Each rating adds ``0.5 ** (age / half_life)`` to its film, age counted in ratings since (so it
works the same on a stream replayed in a second or one arriving over years). A rating event
costs O(1): instead of decaying every film, later events are added with a growing weight and
the whole array is rescaled once in a while.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from personalization.core.base_models.base import Ratings
from personalization.core.base_models.lookup import IdIndex
from personalization.core.base_models.popularity import Popularity
from personalization.core.base_models.refit import scatter_scores

__all__ = ["Trending", "CachedPopularity"]

_RESCALE_AT = 1e150


class Trending:
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
        self.mass = np.zeros(0, np.float64)
        self.weight = 1.0        # what the next rating adds (grows instead of decaying the rest)
        self._cache: dict = {}

    def fit(self, ratings: Ratings) -> "Trending":
        self.index, self.mass, self.weight = IdIndex(), np.zeros(0, np.float64), 1.0
        for u, f, s in zip(ratings.users.tolist(), ratings.films.tolist(), ratings.stars.tolist()):
            self.learn_one(u, f, s)
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

    def score(self, history: Mapping[int, float], candidates: np.ndarray) -> np.ndarray:
        """Decayed counts scaled so the newest rating weighs 1 (unknown films: just below 0)."""
        return scatter_scores(self.mass / (self.weight / self.growth), self.index, candidates, self._cache)


class CachedPopularity(Popularity):
    """``Popularity`` with the candidate lookup cached (the scorer asks with the same catalogue
    array on every request): the same scores, a third of the time."""

    def __init__(self, min_stars: float = 4.0):
        super().__init__(min_stars)
        self._cache: dict = {}

    def score(self, history: Mapping[int, float], candidates: np.ndarray) -> np.ndarray:
        if len(self.index) == 0:
            return np.zeros(len(candidates), np.float64)
        raw = self.good + 1e-3 * self.total / (1.0 + self.total)
        scores = scatter_scores(raw, self.index, candidates, self._cache)
        known = self._cache["lookup"][3]
        return np.where(known, scores, 0.0)  # unknown films: 0, as Popularity says
