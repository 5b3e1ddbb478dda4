"""Popularity: how many people rated a film well. The baseline every model must beat."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from personalization.core.base_models.base import Arrays, BaseModel, FloatArray, IntArray, ModelSpec, Ratings
from personalization.core.base_models.lookup import CandidateGather, IdIndex

__all__ = ["Popularity", "SPEC"]


class Popularity(BaseModel):
    """Score = number of ratings >= ``min_stars``, plus a tie-breaker under 0.001 that prefers
    films with more ratings of any kind. A film nobody rated scores 0.

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
        self.min_stars = float(min_stars)
        self.index = IdIndex()
        self.good: FloatArray = np.zeros(0, np.float64)
        self.total: FloatArray = np.zeros(0, np.float64)
        self._gather = CandidateGather(fill=0.0)

    def fit(self, ratings: Ratings) -> Popularity:
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

    def score(self, history: Mapping[int, float], candidates: IntArray, user: int | None = None) -> FloatArray:
        return self._gather(self.good + 1e-3 * self.total / (1.0 + self.total), self.index, candidates)

    def state(self) -> Arrays:
        """The counts per film; ``learn_one`` keeps counting online after ``load_state``."""
        return {"items": self.index.ids, "good": self.good, "total": self.total}

    def load_state(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        index = IdIndex(arrays["items"])
        good, total = np.asarray(arrays["good"], np.float64), np.asarray(arrays["total"], np.float64)
        if not len(index) == len(good) == len(total):
            raise ValueError("popularity: items, good and total must have the same length")
        self.index, self.good, self.total = index, good.copy(), total.copy()


# Its weight never goes to 0 in the search: it orders the list for a user the other terms know
# nothing about.
SPEC = ModelSpec(
    "popularity",
    Popularity,
    weight=0.01,
    weight_grid=(0.01, 0.03, 0.1, 0.2),
    summary="how many people rated a film 4 stars or more (also the cold-start order)",
)
