"""EASE (Steck 2019): a linear item-item model with a closed form.

``B = I - P / diag(P)`` with ``P = (X^T X + l2 I)^-1`` over the ``max_items`` most rated films;
a user scores ``x @ B`` from their *current* history vector x, so a new rating counts at once
(recent ratings weigh more with ``recency_half_life`` > 0). The inverse is recomputed as the
stream grows (in the service: in a background thread, see ``RefitModel``).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .base import Ratings
from .lookup import IdIndex
from .refit import (HistoryScoreCache, RefitModel, history_weights, scatter_scores, select_items,
                    user_item_matrix)

__all__ = ["EASE"]


class EASE(RefitModel):
    """
    >>> import numpy as np
    >>> from personalization.base_models import Ratings
    >>> r = Ratings(np.array([1, 1, 2, 2, 3, 3]), np.array([10, 20, 10, 20, 30, 40]), np.ones(6, np.float32) * 5)
    >>> m = EASE(l2=1.0, min_count=1).fit(r)
    >>> s = m.score({10: 5.0}, np.array([20, 30, 40]))
    >>> bool(s[0] > s[1])
    True
    """

    name = "ease"

    @property
    def items(self):
        return self.fitted[0]

    @property
    def weights(self):
        return self.fitted[1]

    def __init__(self, l2: float = 200.0, recency_half_life: float = 0.0, low_weight: float = 1.0,
                 max_items: int = 3000, min_count: int = 2, refit_every: int = 5000):
        self.l2, self.recency_half_life, self.low_weight = float(l2), float(recency_half_life), float(low_weight)
        self.max_items, self.min_count, self.refit_every = int(max_items), int(min_count), int(refit_every)
        self._cache: dict = {}
        self.version = 0
        self.fitted = (IdIndex(), np.zeros((0, 0), np.float32), 0)
        self.running = HistoryScoreCache()
        self._init_log()

    def _fit(self, ratings: Ratings) -> None:
        from scipy import linalg

        items = IdIndex(select_items(ratings, self.max_items, self.min_count))
        if len(items) == 0:
            self.fitted = (items, np.zeros((0, 0), np.float32), self.version)
            return
        matrix, _ = user_item_matrix(ratings, items, self.low_weight)
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        p = linalg.inv(gram, overwrite_a=True, check_finite=False)
        b = p / (-np.diag(p))
        b[np.diag_indices_from(b)] = 0.0
        # one assignment: a request in another thread sees the old model or the new, never a mix
        self.fitted = (items, b.astype(np.float32), self.version + 1)
        self.version += 1

    def score(self, history: Mapping[int, float], candidates: np.ndarray, user=None) -> np.ndarray:
        """``user`` (optional) lets a user's running scores be updated instead of recomputed."""
        items, b, version = self.fitted
        if len(items) == 0:
            return np.zeros(len(candidates), np.float64)

        def full() -> np.ndarray:
            pos, w = history_weights(history, items, recency_half_life=self.recency_half_life,
                                     low_weight=self.low_weight)
            return (w.astype(np.float64) @ b[pos]) if len(pos) else np.zeros(len(items))

        def row(film: int):
            pos = items.find(film)
            return b[pos] if pos is not None else None

        scores = self.running.get(user, history, version, full, row, _decay(self.recency_half_life),
                                  lambda stars: self.low_weight if stars < 3.0 else 1.0)
        return scatter_scores(scores, items, candidates, self._cache)


def _decay(half_life: float) -> float:
    return 0.5 ** (1.0 / half_life) if half_life > 0 else 1.0
