"""Item-kNN: films liked together are recommended together (implicit's nearest-neighbour code).

The item-item similarity (cosine, or BM25-weighted) keeps each film's ``neighbours`` most similar
films; it is computed by ``implicit.nearest_neighbours`` and refitted as the stream grows. A user
is scored from their *current* history: ``score_j = sum_i w_i sim(i, j)`` over the films i they
rated, recent ones weighing more when ``recency_half_life`` > 0. Published as the film ids and
the similarity's CSR arrays (``LinearHistoryModel.state``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from personalization.core.base_models.base import ModelSpec, Param, Ratings
from personalization.core.base_models.lookup import IdIndex
from personalization.core.base_models.refit import LinearHistoryModel
from personalization.core.base_models.shared import RECENCY_HALF_LIFE, REFIT_EVERY

__all__ = ["ItemKNN", "SPEC"]

WEIGHTINGS = ("cosine", "bm25", "tfidf")


class ItemKNN(LinearHistoryModel):
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

    @property
    def similarity(self) -> Any:
        """The item-item similarity (scipy CSR over ``items``), None before the first fit."""
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
