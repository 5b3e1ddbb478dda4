"""Implicit-feedback matrix factorisation (``implicit``'s ALS, Hu, Koren & Volinsky 2008).

Item factors are fitted by the library as the stream grows; the user's factors are re-solved
from their *current* history at scoring time (``recalculate_user``, one small least-squares
solve), so a new rating counts at once and a user unseen at fit time is scored too. Published as
the film ids and their factors.
Limit BLAS to one thread (the CLI's ``configure_threads``): implicit's own threads do the work.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import Any

import numpy as np
from numpy.typing import NDArray

from personalization.core.base_models.base import Arrays, FloatArray, IntArray, ModelSpec, Param, Ratings
from personalization.core.base_models.lookup import CandidateGather, IdIndex
from personalization.core.base_models.refit import RefitModel, history_weights
from personalization.core.base_models.shared import REFIT_EVERY

__all__ = ["ALS", "SPEC"]


class ALS(RefitModel[tuple[IdIndex, Any]]):
    name = "als"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 10.0,
        iterations: int = 10,
        low_weight: float = 1.0,
        max_items: int = 20000,
        min_count: int = 2,
        refit_every: int = 5000,
        seed: int = 7,
        max_history: int = 200,
    ):
        super().__init__(max_items=max_items, min_count=min_count, low_weight=low_weight, refit_every=refit_every)
        if factors < 1 or iterations < 1 or regularization < 0 or alpha < 0:
            raise ValueError("factors and iterations must be >= 1, regularization and alpha >= 0")
        self.factors, self.regularization, self.alpha = int(factors), float(regularization), float(alpha)
        self.iterations, self.seed = int(iterations), int(seed)
        self.max_history = int(max_history)  # the user's factors come from their latest ratings
        self.fitted: tuple[IdIndex, Any] = (IdIndex(), None)  # (items, implicit's model)
        self._gather = CandidateGather()

    @property
    def items(self) -> IdIndex:
        return self.fitted[0]

    def compute(self, ratings: Ratings) -> tuple[IdIndex, Any]:
        from implicit.cpu.als import AlternatingLeastSquares  # heavy import, only when fitting

        items, matrix = self._item_matrix(ratings)
        if matrix is None:
            return items, None
        model = AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            random_state=self.seed,
            num_threads=1,
        )
        model.fit(matrix, show_progress=False)
        _ = model.YtY  # computed once here rather than at the first request
        return items, model

    def install(self, state: tuple[IdIndex, Any], fitted_on: int) -> None:
        self.fitted = state  # one assignment: requests never see a mix
        self.fitted_on = fitted_on

    def to_arrays(self) -> Arrays:
        """The film ids and their factors (the users' factors are not needed: each user's are
        solved from their current history when scored)."""
        items, model = self.fitted
        out: Arrays = {"items": items.ids}
        if model is not None:
            out["item_factors"] = np.asarray(model.item_factors, np.float32)
        return out

    def from_arrays(self, arrays: Mapping[str, NDArray[Any]]) -> tuple[IdIndex, Any]:
        """implicit's model holding the published item factors (their width wins over
        ``factors``), ready for ``recalculate_user``; nothing is fitted."""
        from implicit.cpu.als import AlternatingLeastSquares

        items = IdIndex(arrays["items"])
        if "item_factors" not in arrays:
            return items, None
        item_factors = np.ascontiguousarray(arrays["item_factors"], np.float32)
        model = AlternatingLeastSquares(
            factors=item_factors.shape[1],
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            random_state=self.seed,
            num_threads=1,
        )
        model.item_factors = item_factors
        _ = model.YtY  # computed once here rather than at the first request
        return items, model

    def _recent(self, history: Mapping[int, float], items: IdIndex) -> tuple[IntArray, NDArray[np.float32]]:
        """The latest ``max_history`` known films of the history (bounds the solve for heavy
        users). Looks at the newest 2 x ``max_history`` ratings first, the whole history only
        when too few of those are known films: the same result without converting 2,000
        ratings on every request of a heavy user."""
        keep = self.max_history
        if keep > 0 and len(history) > 2 * keep:
            entries = reversed(history.items()) if isinstance(history, dict) else reversed(list(history.items()))
            newest = list(islice(entries, 2 * keep))[::-1]
            pos, w = history_weights(dict(newest), items, low_weight=self.low_weight)
            if len(pos) >= keep:
                return pos[-keep:], w[-keep:]
        pos, w = history_weights(history, items, low_weight=self.low_weight)
        return pos[-keep:], w[-keep:]

    def score(self, history: Mapping[int, float], candidates: IntArray, user: int | None = None) -> FloatArray:
        items, model = self.fitted
        if model is None:
            return np.zeros(len(candidates), np.float64)
        pos, w = self._recent(history, items)
        if len(pos) == 0:
            return self._gather(np.zeros(len(items)), items, candidates)
        order = np.argsort(pos, kind="stable")
        pos, w = pos[order], w[order]
        if len(pos) > 1 and not np.all(pos[1:] != pos[:-1]):
            from scipy import sparse

            row = sparse.csr_matrix((w, pos, [0, len(pos)]), shape=(1, len(items)))
            row.sum_duplicates()
            factors = model.recalculate_user(0, row)
        else:
            factors = _recalculate_user(model, pos, w)
        scores = model.item_factors @ factors
        return self._gather(np.asarray(scores, np.float64), items, candidates)


def _recalculate_user(model: Any, positions: IntArray, weights: NDArray[np.float32]) -> NDArray[np.float32]:
    """``model.recalculate_user(0, row)`` for one user row given as sorted, distinct item
    positions and float32 weights, without building the scipy matrix: the same library kernel
    (``implicit.cpu._als._least_squares``, Cholesky on the cached YtY) on the same float32
    inputs, at a fifth of the Python overhead per request."""
    from implicit.cpu import _als

    data = (weights * model.alpha if model.alpha != 1.0 else weights).astype(np.float32)
    user = np.zeros((1, model.factors), dtype=model.dtype)
    _als._least_squares(
        model.YtY,
        np.array([0, len(positions)], np.int32),
        positions.astype(np.int32),
        data,
        user,
        model.item_factors,
        model.regularization,
        num_threads=model.num_threads,
    )
    return np.asarray(user[0], np.float32)


SPEC = ModelSpec(
    "als",
    ALS,
    weight=0.1957,
    summary="ALS, implicit-feedback matrix factorisation",
    params=(
        Param("als_factors", "factors", 64, int, minimum=1, help="latent factors"),
        Param(
            "als_regularization", "regularization", 0.05, float, minimum=0.0, help="L2 regularisation of the factors"
        ),
        Param("als_alpha", "alpha", 10.0, float, minimum=0.0, help="confidence of a rating"),
        REFIT_EVERY,
    ),
)
