"""Popularity: how many people rated a film well. The baseline every model must beat."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from personalization.core.base_models.base import Ratings
from personalization.core.base_models.lookup import IdIndex

__all__ = ["Popularity"]


class Popularity:
    """Score = number of ratings >= ``min_stars``, plus a tie-breaker under 0.001 that prefers
    films with more ratings of any kind.

    >>> import numpy as np
    >>> from personalization.core.base_models import Ratings
    >>> m = Popularity().fit(Ratings(np.array([1, 2, 2]), np.array([10, 10, 20]), np.array([5., 4., 2.])))
    >>> [int(s) for s in m.score({}, np.array([10, 20, 30]))]
    [2, 0, 0]
    >>> m.learn_one(3, 20, 5.0); m.learn_one(4, 20, 4.5); int(np.argmax(m.score({}, np.array([10, 20]))))
    1
    """

    name = "popularity"

    def __init__(self, min_stars: float = 4.0):
        self.min_stars = min_stars
        self.index = IdIndex()
        self.good = np.zeros(0, np.float64)
        self.total = np.zeros(0, np.float64)

    def fit(self, ratings: Ratings) -> "Popularity":
        self.index = IdIndex(np.unique(ratings.films))
        pos = self.index.positions(ratings.films)
        n = len(self.index)
        self.good = np.bincount(pos[ratings.stars >= self.min_stars], minlength=n).astype(np.float64)
        self.total = np.bincount(pos, minlength=n).astype(np.float64)
        return self

    def learn_one(self, user: int, film: int, stars: float) -> None:
        pos, grown = self.index.add(film)
        if grown:
            self.good = np.insert(self.good, pos, 0.0)
            self.total = np.insert(self.total, pos, 0.0)
        self.total[pos] += 1
        if stars >= self.min_stars:
            self.good[pos] += 1

    def score(self, history: Mapping[int, float], candidates: np.ndarray) -> np.ndarray:
        pos, known = self.index.lookup(candidates)
        good = np.where(known, self.good[pos] if len(self.good) else 0.0, 0.0)
        total = np.where(known, self.total[pos] if len(self.total) else 0.0, 0.0)
        return good + 1e-3 * total / (1.0 + total)
