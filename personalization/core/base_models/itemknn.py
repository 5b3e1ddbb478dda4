"""Item-kNN: films liked together are recommended together (implicit's nearest-neighbour code).

The item-item similarity (cosine, or BM25-weighted) keeps each film's ``neighbours`` most similar
films; it is computed by ``implicit.nearest_neighbours`` and refitted as the stream grows. A user
is scored from their *current* history: ``score_j = sum_i w_i sim(i, j)`` over the films i they
rated, recent ones weighing more when ``recency_half_life`` > 0.
"""

from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np

from personalization.core.base_models.base import Ratings
from personalization.core.base_models.lookup import IdIndex
from personalization.core.base_models.refit import (HistoryScoreCache, RefitModel, history_weights, scatter_scores)

__all__ = ["ItemKNN"]


class ItemKNN(RefitModel):
    """
    >>> import numpy as np
    >>> from personalization.core.base_models import Ratings
    >>> r = Ratings(np.array([1, 1, 2, 2, 3, 3]), np.array([10, 20, 10, 20, 30, 40]), np.ones(6, np.float32) * 5)
    >>> m = ItemKNN(neighbours=5, min_count=1).fit(r)
    >>> s = m.score({10: 5.0}, np.array([20, 30, 40]))
    >>> bool(s[0] > s[1]) and bool(s[1] == s[2])
    True
    """

    name = "itemknn"

    @property
    def items(self):
        return self.fitted[0]

    @property
    def similarity(self):
        return self.fitted[1]

    def __init__(self, neighbours: int = 100, weighting: str = "cosine", recency_half_life: float = 0.0,
                 low_weight: float = 1.0, max_items: int = 20000, min_count: int = 2,
                 refit_every: int = 5000):
        if weighting not in ("cosine", "bm25", "tfidf"):
            raise ValueError(f"weighting must be cosine, bm25 or tfidf, got {weighting!r}")
        self.neighbours, self.weighting = int(neighbours), weighting
        self.recency_half_life, self.low_weight = float(recency_half_life), float(low_weight)
        self.max_items, self.min_count, self.refit_every = int(max_items), int(min_count), int(refit_every)
        self._cache: dict = {}
        self.version = 0
        self.fitted = (IdIndex(), None, 0)
        self.running = HistoryScoreCache()
        self._init_log()

    def compute(self, ratings: Ratings):
        from implicit import nearest_neighbours as nn  # heavy import, only when fitting

        items, matrix = self._item_matrix(ratings)
        if matrix is None:
            return items, None
        cls = {"cosine": nn.CosineRecommender, "bm25": nn.BM25Recommender,
               "tfidf": nn.TFIDFRecommender}[self.weighting]
        model = cls(K=self.neighbours, num_threads=1)
        with warnings.catch_warnings():  # implicit converts its own normalised copy to CSR
            warnings.simplefilter("ignore")
            model.fit(matrix, show_progress=False)
        return items, model.similarity.tocsr().astype(np.float64)

    def install(self, state, fitted_on: int) -> None:
        items, sim = state
        self._install_versioned(items, sim, None, fitted_on)

    def score(self, history: Mapping[int, float], candidates: np.ndarray, user=None) -> np.ndarray:
        """``user`` (optional) lets a user's running scores be updated instead of recomputed."""
        items, sim, version = self.fitted
        if sim is None:
            return np.zeros(len(candidates), np.float64)

        def full() -> np.ndarray:
            pos, w = history_weights(history, items, recency_half_life=self.recency_half_life,
                                     low_weight=self.low_weight)
            return np.asarray(sim[pos].T @ w.astype(np.float64)).ravel() if len(pos) else np.zeros(len(items))

        def row(film: int):
            pos = items.find(film)
            if pos is None:
                return None
            start, end = sim.indptr[pos], sim.indptr[pos + 1]
            out = np.zeros(len(items))
            out[sim.indices[start:end]] = sim.data[start:end]
            return out

        scores = self._running_scores(user, history, version, full, row)
        return scatter_scores(scores, items, candidates, self._cache)
