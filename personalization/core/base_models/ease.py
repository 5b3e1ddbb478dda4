"""EASE (Steck 2019): a linear item-item model with a closed form.

``B = I - P / diag(P)`` with ``P = (X^T X + l2 I)^-1`` over the ``max_items`` most rated films;
a user scores ``x @ B`` from their *current* history vector x, so a new rating counts at once
(recent ratings weigh more with ``recency_half_life`` > 0). The inverse is recomputed as the
stream grows (in the replay; a serving process loads what ``cinesync train`` published).

At catalogue scale B is restricted twice: to the ``max_items`` most rated films (the inverse is
O(n^3) and B dense n x n), and, with ``neighbours`` > 0, to each film's ``neighbours`` largest
weights (a CSR: what every serving process holds, n x neighbours instead of n x n).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from personalization.core.base_models.base import FloatArray, ModelSpec, Param, Ratings
from personalization.core.base_models.lookup import IdIndex
from personalization.core.base_models.refit import LinearHistoryModel
from personalization.core.base_models.shared import RECENCY_HALF_LIFE, REFIT_EVERY

__all__ = ["EASE", "SPEC", "spd_inverse", "top_per_row"]

Weights = NDArray[np.float32]


class EASE(LinearHistoryModel):
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
        neighbours: int = 0,
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
        if neighbours < 0:
            raise ValueError(f"neighbours must be >= 0 (0: keep every weight), got {neighbours}")
        self.l2, self.neighbours = float(l2), int(neighbours)

    @property
    def weights(self) -> Weights:
        """The item-item weights B over ``items`` as a dense matrix (pruned ones are zero)."""
        rows = self.fitted[1]
        if rows is None:
            return np.zeros((0, 0), np.float32)
        return rows if isinstance(rows, np.ndarray) else np.asarray(rows.toarray(), np.float32)

    def compute(self, ratings: Ratings) -> tuple[IdIndex, Any]:
        items, matrix = self._item_matrix(ratings)
        if matrix is None:
            return items, None
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        p = spd_inverse(gram)
        del gram
        b = p / (-np.diag(p))
        b[np.diag_indices_from(b)] = 0.0
        weights = b.astype(np.float32)
        del p, b
        if 0 < self.neighbours < len(items) - 1:
            return items, top_per_row(weights, self.neighbours)
        return items, weights


def top_per_row(weights: Weights, k: int, block: int = 1024) -> Any:
    """The ``k`` largest weights (by magnitude) of each row as a scipy CSR; the rest are dropped
    (deterministic: the same weights keep the same entries). Rows go in blocks, so the work
    space stays ``block`` x n whatever the size.

    >>> w = np.array([[0, 3, -5, 1], [2, 0, 1, -3], [1, 2, 0, 4], [0, 0, 0, 0]], np.float32)
    >>> top_per_row(w, 2).toarray().tolist()
    [[0.0, 3.0, -5.0, 0.0], [2.0, 0.0, 0.0, -3.0], [0.0, 2.0, 0.0, 4.0], [0.0, 0.0, 0.0, 0.0]]
    """
    from scipy import sparse

    n = len(weights)
    indices = np.empty((n, k), np.int32)
    for start in range(0, n, block):
        part = np.abs(weights[start : start + block])
        indices[start : start + block] = np.argpartition(-part, k - 1, axis=1)[:, :k]
    indices.sort(axis=1)
    data = np.take_along_axis(weights, indices, axis=1)
    out = sparse.csr_matrix((data.ravel(), indices.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))
    out.eliminate_zeros()
    return out


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
        Param(
            "ease_neighbours",
            "neighbours",
            0,
            int,
            minimum=0,
            help="weights kept per film, the largest (0: all, a dense matrix)",
        ),
        RECENCY_HALF_LIFE,
        REFIT_EVERY,
    ),
)
