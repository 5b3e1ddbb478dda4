"""EASE (Steck 2019): a linear item-item model with a closed form.

``B = I - P / diag(P)`` with ``P = (X^T X + l2 I)^-1`` over the ``max_items`` most rated films;
a user scores ``x @ B`` from their *current* history vector x, so a new rating counts at once
(recent ratings weigh more with ``recency_half_life`` > 0). The inverse is recomputed as the
stream grows (in the service: in a background thread, see ``RefitModel``).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from personalization.core.base_models.base import Ratings
from personalization.core.base_models.lookup import IdIndex
from personalization.core.base_models.refit import (HistoryScoreCache, RefitModel, history_weights, scatter_scores)

__all__ = ["EASE"]


class EASE(RefitModel):
    """
    >>> import numpy as np
    >>> from personalization.core.base_models import Ratings
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

    def compute(self, ratings: Ratings):
        items, matrix = self._item_matrix(ratings)
        if matrix is None:
            return items, None
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        p = _spd_inverse(gram)
        b = p / (-np.diag(p))
        b[np.diag_indices_from(b)] = 0.0
        return items, b.astype(np.float32)

    def install(self, state, fitted_on: int) -> None:
        items, b = state
        self._install_versioned(items, b, np.zeros((0, 0), np.float32), fitted_on)

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

        scores = self._running_scores(user, history, version, full, row)
        return scatter_scores(scores, items, candidates, self._cache)


def _spd_inverse(gram: np.ndarray) -> np.ndarray:
    """``scipy.linalg.inv(gram)`` for a symmetric positive definite matrix, bit for bit (scipy
    detects the structure and runs LAPACK's Cholesky potrf/potri on the upper triangle, as
    here), but through the LAPACK wrappers, which release the GIL: a refit computed in another
    thread (the replay computes the next refit ahead) no longer stalls the scoring thread."""
    from scipy import linalg
    from scipy.linalg import lapack

    if not np.array_equal(gram, gram.T):
        return linalg.inv(gram, check_finite=False)   # scipy would not take the Cholesky path
    factor, info = lapack.dpotrf(gram, lower=0, clean=1)
    if info == 0:
        inverse, info = lapack.dpotri(factor, lower=0, overwrite_c=1)
        if info == 0:
            lower = np.tril_indices(len(inverse), -1)
            inverse[lower] = inverse.T[lower]
            return inverse
    return linalg.inv(gram, check_finite=False)   # not positive definite: the general inverse


