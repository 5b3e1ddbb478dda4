"""Item-kNN: films liked together are recommended together (implicit's nearest-neighbour code).

The item-item similarity (cosine, or BM25-weighted) keeps each film's ``neighbours`` most similar
films; it is computed by ``implicit.nearest_neighbours`` and refitted as the stream grows. A user
is scored from their *current* history: ``score_j = sum_i w_i sim(i, j)`` over the films i they
rated, recent ones weighing more when ``recency_half_life`` > 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from personalization.core.base_models.base import FloatArray, IntArray, ModelSpec, Param, Ratings
from personalization.core.base_models.lookup import CandidateGather, IdIndex
from personalization.core.base_models.refit import LinearHistoryModel, history_weights
from personalization.core.base_models.shared import RECENCY_HALF_LIFE, REFIT_EVERY

__all__ = ["ItemKNN", "SPEC"]

WEIGHTINGS = ("cosine", "bm25", "tfidf")


class ItemKNN(LinearHistoryModel[tuple[IdIndex, Any]]):
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

    def __init__(
        self,
        neighbours: int = 100,
        weighting: str = "cosine",
        recency_half_life: float = 0.0,
        low_weight: float = 1.0,
        max_items: int = 20000,
        min_count: int = 2,
        refit_every: int = 5000,
    ):
        super().__init__(
            max_items=max_items,
            min_count=min_count,
            low_weight=low_weight,
            refit_every=refit_every,
            recency_half_life=recency_half_life,
        )
        if weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be cosine, bm25 or tfidf, got {weighting!r}")
        if neighbours < 1:
            raise ValueError(f"neighbours must be >= 1, got {neighbours}")
        self.neighbours, self.weighting = int(neighbours), weighting
        self.fitted: tuple[IdIndex, Any, int] = (IdIndex(), None, 0)  # similarity: scipy CSR
        self._gather = CandidateGather()

    @property
    def items(self) -> IdIndex:
        return self.fitted[0]

    @property
    def similarity(self) -> Any:
        return self.fitted[1]

    def compute(self, ratings: Ratings) -> tuple[IdIndex, Any]:
        from implicit import nearest_neighbours as nn  # heavy import, only when fitting

        items, matrix = self._item_matrix(ratings)
        if matrix is None:
            return items, None
        cls = {"cosine": nn.CosineRecommender, "bm25": nn.BM25Recommender, "tfidf": nn.TFIDFRecommender}[self.weighting]
        model = cls(K=self.neighbours, num_threads=1)
        with warnings.catch_warnings():  # implicit converts its own normalised copy to CSR
            warnings.simplefilter("ignore")
            model.fit(matrix, show_progress=False)
        return items, model.similarity.tocsr().astype(np.float64)

    def install(self, state: tuple[IdIndex, Any], fitted_on: int) -> None:
        items, sim = state
        if sim is None:  # one assignment: a request in another thread never sees a mix
            self.fitted = (items, None, self.version)
        else:
            self.version += 1
            self.fitted = (items, sim, self.version)
        self.fitted_on = fitted_on

    def score(self, history: Mapping[int, float], candidates: IntArray, user: int | None = None) -> FloatArray:
        items, sim, version = self.fitted
        if sim is None:
            return np.zeros(len(candidates), np.float64)

        def full() -> FloatArray:
            pos, w = history_weights(
                history, items, recency_half_life=self.recency_half_life, low_weight=self.low_weight
            )
            return np.asarray(sim[pos].T @ w.astype(np.float64)).ravel() if len(pos) else np.zeros(len(items))

        def row(film: int) -> FloatArray | None:
            pos = items.find(film)
            if pos is None:
                return None
            start, end = sim.indptr[pos], sim.indptr[pos + 1]
            out = np.zeros(len(items))
            out[sim.indices[start:end]] = sim.data[start:end]
            return out

        scores = self._running_scores(user, history, version, full, row)
        return self._gather(scores, items, candidates)


SPEC = ModelSpec(
    "itemknn",
    ItemKNN,
    weight=0.1176,
    summary="item-kNN: films liked together (cosine neighbours)",
    params=(
        Param(
            "knn_neighbours", "neighbours", 100, int, minimum=1, grid=(50, 100, 200), help="neighbours kept per film"
        ),
        RECENCY_HALF_LIFE,
        REFIT_EVERY,
    ),
)
