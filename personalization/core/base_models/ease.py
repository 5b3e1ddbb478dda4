"""EASE (Steck 2019): a linear item-item model with a closed form.

``B = I - P / diag(P)`` with ``P = (X^T X + l2 I)^-1`` over the ``max_items`` most rated films;
a user scores ``x @ B`` from their *current* history vector x, so a new rating counts at once
(recent ratings weigh more with ``recency_half_life`` > 0). The inverse is recomputed as the
stream grows (in the service: in a background thread, see ``RefitModel``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from personalization.core.base_models.base import FloatArray, IntArray, ModelSpec, Param, Ratings
from personalization.core.base_models.lookup import CandidateGather, IdIndex
from personalization.core.base_models.refit import LinearHistoryModel, history_weights
from personalization.core.base_models.shared import RECENCY_HALF_LIFE, REFIT_EVERY

__all__ = ["EASE", "SPEC", "spd_inverse"]

Weights = NDArray[np.float32]


class EASE(LinearHistoryModel[tuple[IdIndex, Weights | None]]):
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

    def __init__(
        self,
        l2: float = 200.0,
        recency_half_life: float = 0.0,
        low_weight: float = 1.0,
        max_items: int = 3000,
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
        if l2 < 0:
            raise ValueError(f"l2 must be >= 0, got {l2}")
        self.l2 = float(l2)
        self.fitted: tuple[IdIndex, Weights, int] = (IdIndex(), np.zeros((0, 0), np.float32), 0)
        self._gather = CandidateGather()

    @property
    def items(self) -> IdIndex:
        return self.fitted[0]

    @property
    def weights(self) -> Weights:
        return self.fitted[1]

    def compute(self, ratings: Ratings) -> tuple[IdIndex, Weights | None]:
        items, matrix = self._item_matrix(ratings)
        if matrix is None:
            return items, None
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        p = spd_inverse(gram)
        b = p / (-np.diag(p))
        b[np.diag_indices_from(b)] = 0.0
        return items, b.astype(np.float32)

    def install(self, state: tuple[IdIndex, Weights | None], fitted_on: int) -> None:
        items, b = state
        if b is None:  # one assignment: a request in another thread never sees a mix
            self.fitted = (items, np.zeros((0, 0), np.float32), self.version)
        else:
            self.version += 1
            self.fitted = (items, b, self.version)
        self.fitted_on = fitted_on

    def score(self, history: Mapping[int, float], candidates: IntArray, user: int | None = None) -> FloatArray:
        items, b, version = self.fitted
        if len(items) == 0 or b.size == 0:
            return np.zeros(len(candidates), np.float64)

        def full() -> FloatArray:
            pos, w = history_weights(
                history, items, recency_half_life=self.recency_half_life, low_weight=self.low_weight
            )
            return (w.astype(np.float64) @ b[pos]) if len(pos) else np.zeros(len(items))

        def row(film: int) -> Weights | None:
            pos = items.find(film)
            return b[pos] if pos is not None else None

        scores = self._running_scores(user, history, version, full, row)
        return self._gather(scores, items, candidates)


def spd_inverse(gram: FloatArray) -> FloatArray:
    """The inverse of a symmetric positive definite matrix through LAPACK's Cholesky
    (potrf/potri), called directly because those wrappers release the GIL: a refit computed in
    another thread (the replay computes the next refit ahead) does not stall the scoring thread.
    Anything else (not symmetric, not positive definite) goes to the general inverse."""
    from scipy import linalg
    from scipy.linalg import lapack

    if np.array_equal(gram, gram.T):
        factor, info = lapack.dpotrf(gram, lower=0, clean=1)
        if info == 0:
            inverse, info = lapack.dpotri(factor, lower=0, overwrite_c=1)
            if info == 0:
                lower = np.tril_indices(len(inverse), -1)
                inverse[lower] = inverse.T[lower]
                return np.asarray(inverse, np.float64)
    return np.asarray(linalg.inv(gram, check_finite=False), np.float64)


SPEC = ModelSpec(
    "ease",
    EASE,
    weight=0.248,
    summary="EASE, a closed-form linear item-item model (Steck 2019)",
    params=(
        Param(
            "ease_l2",
            "l2",
            200.0,
            float,
            minimum=0.0,
            grid=(50.0, 200.0, 800.0),
            help="L2 regularisation of the item-item weights",
        ),
        Param(
            "ease_max_items",
            "max_items",
            3000,
            int,
            minimum=1,
            help="the most rated films the model covers (bounds refit time)",
        ),
        RECENCY_HALF_LIFE,
        REFIT_EVERY,
    ),
)
