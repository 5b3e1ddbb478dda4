"""Implicit-feedback matrix factorisation (``implicit``'s ALS, Hu, Koren & Volinsky 2008).

Item factors are fitted by the library as the stream grows; the user's factors are re-solved
from their *current* history at scoring time (``recalculate_user``, one small least-squares
solve), so a new rating counts at once and a user unseen at fit time is scored too.
Set ``OPENBLAS_NUM_THREADS=1`` (the replay CLI does): implicit's own threads do the work.
"""

from __future__ import annotations

from itertools import islice
from typing import Mapping

import numpy as np

from personalization.core.base_models.base import Ratings
from personalization.core.base_models.lookup import IdIndex
from personalization.core.base_models.refit import RefitModel, history_weights, scatter_scores

__all__ = ["ALS"]


class ALS(RefitModel):
    name = "als"

    @property
    def items(self):
        return self.fitted[0]

    def __init__(self, factors: int = 64, regularization: float = 0.05, alpha: float = 10.0,
                 iterations: int = 10, low_weight: float = 1.0, max_items: int = 20000,
                 min_count: int = 2, refit_every: int = 5000, seed: int = 7, max_history: int = 200):
        self.factors, self.regularization, self.alpha = int(factors), float(regularization), float(alpha)
        self.iterations, self.low_weight, self.seed = int(iterations), float(low_weight), int(seed)
        self.max_history = int(max_history)  # the user's factors come from their latest ratings
        self.max_items, self.min_count, self.refit_every = int(max_items), int(min_count), int(refit_every)
        self.fitted = (IdIndex(), None)
        self._cache: dict = {}
        self._init_log()

    def compute(self, ratings: Ratings):
        from implicit.cpu.als import AlternatingLeastSquares  # heavy import, only when fitting

        items, matrix = self._item_matrix(ratings)
        if matrix is None:
            return items, None
        model = AlternatingLeastSquares(factors=self.factors, regularization=self.regularization,
                                        alpha=self.alpha, iterations=self.iterations,
                                        random_state=self.seed, num_threads=1)
        model.fit(matrix, show_progress=False)
        _ = model.YtY  # computed once here rather than at the first request
        return items, model

    def install(self, state, fitted_on: int) -> None:
        self.fitted = state  # one assignment: requests never see a mix
        self.fitted_on = fitted_on

    def _recent(self, history: Mapping[int, float], items: IdIndex) -> tuple[np.ndarray, np.ndarray]:
        """The latest ``max_history`` known films of the history (bounds the solve for heavy
        users). Looks at the newest 2 x ``max_history`` ratings first, the whole history only
        when too few of those are known films: the same result without converting 2,000
        ratings on every request of a heavy user."""
        keep = self.max_history
        if keep > 0 and len(history) > 2 * keep:
            newest = list(islice(reversed(history.items()), 2 * keep))[::-1]
            pos, w = history_weights(dict(newest), items, low_weight=self.low_weight)
            if len(pos) >= keep:
                return pos[-keep:], w[-keep:]
        pos, w = history_weights(history, items, low_weight=self.low_weight)
        return pos[-keep:], w[-keep:]

    def score(self, history: Mapping[int, float], candidates: np.ndarray) -> np.ndarray:
        items, model = self.fitted
        if model is None:
            return np.zeros(len(candidates), np.float64)
        pos, w = self._recent(history, items)
        if len(pos) == 0:
            return scatter_scores(np.zeros(len(items)), items, candidates, self._cache)
        order = np.argsort(pos, kind="stable")
        pos, w = pos[order], w[order]
        if len(pos) > 1 and not np.all(pos[1:] != pos[:-1]):
            from scipy import sparse

            row = sparse.csr_matrix((w, pos, [0, len(pos)]), shape=(1, len(items)))
            row.sum_duplicates()
            user = model.recalculate_user(0, row)
        else:
            user = _recalculate_user(model, pos, w)
        scores = model.item_factors @ user
        return scatter_scores(scores.astype(np.float64), items, candidates, self._cache)


def _recalculate_user(model, positions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``model.recalculate_user(0, row)`` for one user row given as sorted, distinct item
    positions and float32 weights, without building the scipy matrix: the same library kernel
    (``implicit.cpu._als._least_squares``, Cholesky on the cached YtY) on the same float32
    inputs, so the same factors bit for bit, at a fifth of the Python overhead per request."""
    from implicit.cpu import _als

    data = (weights * model.alpha if model.alpha != 1.0 else weights).astype(np.float32)
    user = np.zeros((1, model.factors), dtype=model.dtype)
    _als._least_squares(model.YtY, np.array([0, len(positions)], np.int32), positions.astype(np.int32),
                        data, user, model.item_factors, model.regularization, num_threads=model.num_threads)
    return user[0]
