"""Picking the top k: a ranking of films, and the tie rule every list in the engine follows.

Scores are compared after rounding to ``SCORE_DECIMALS`` decimal places; equal rounded scores
break towards the lower film id. So the same inputs always give the same list, and two
computations of the same scores that agree to within the rounding (another summation order,
another BLAS kernel, a de-duplicated product) give the same list, except for the rare score
that lands within that difference of a rounding boundary. ``top_k`` and ``rank_of`` apply the
rule the same way: the rank ``rank_of`` gives is the position in ``top_k``'s order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["SCORE_DECIMALS", "ScoredFilm", "Ranking", "top_k", "rank_of"]

# The blend's scores lie in [0, 1]; raw term scores are counts, similarities and sums of them.
# 1e-9 is far below any difference that means something there, and far above the float64
# noise of computing the same float64 scores another way (~1e-15 relative).
SCORE_DECIMALS = 9


@dataclass(frozen=True)
class ScoredFilm:
    film_id: int
    score: float  # what the list is sorted by, in [0, 1]
    personal: float  # the personal term's part, scaled to [0, 1] (0 in base mode)
    base: float  # the base models' blended part, scaled to [0, 1]


@dataclass(frozen=True)
class Ranking:
    """The top films for one user and how they were scored."""

    items: list[ScoredFilm]
    mode: str  # "personal" (the personal term is blended in) or "base"
    personal_weight: float  # the personal term's weight in the blend (0 in base mode)
    base_models: tuple[str, ...]  # the base models blended, by name

    @property
    def label(self) -> str:
        """The base models as one label, e.g. ``itemknn+ease+sequence`` (``none`` if none)."""
        return "+".join(self.base_models) or "none"

    # The names the service's results used before this glossary (see docs/architecture.md).
    @property
    def blend_weight(self) -> float:
        return self.personal_weight

    @property
    def base_model(self) -> str:
        return self.label


def rounded(scores: NDArray[np.floating]) -> NDArray[np.float64]:
    """Scores as the tie rule compares them."""
    return np.asarray(np.round(np.asarray(scores, np.float64), SCORE_DECIMALS), np.float64)


def top_k(scores: NDArray[np.floating], ids: NDArray[np.int64], k: int) -> NDArray[np.int64]:
    """Positions of the k best scores, best first (rounded scores, then the lower id).

    >>> top_k(np.array([0.5, 0.7, 0.7 + 1e-12, 0.1]), np.array([4, 3, 2, 1]), 3).tolist()
    [2, 1, 0]
    """
    n = len(scores)
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    r = rounded(scores)
    if k < n:
        kth = np.partition(r, n - k)[n - k]
        pool = np.flatnonzero(r >= kth)
    else:
        pool = np.arange(n)
    order = np.lexsort((ids[pool], -r[pool]))
    return pool[order[:k]].astype(np.int64)


def rank_of(
    scores: NDArray[np.floating], ids: NDArray[np.int64], target: int, mask: NDArray[np.bool_] | None = None
) -> int:
    """1-based rank of the film at position ``target`` among ``mask`` (all when None), under
    ``top_k``'s rule, in one pass instead of a sort."""
    r = rounded(scores)
    t = r[target]
    better = (r > t) | ((r == t) & (ids < ids[target]))
    if mask is not None:
        better &= mask
    return int(np.count_nonzero(better)) + 1
