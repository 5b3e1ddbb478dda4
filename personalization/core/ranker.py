"""Re-ranking: ``final = w * personal + (1 - w) * base``, both scaled to [0, 1] over the candidates.

Below ``min_ratings`` the base order is returned as it is, labelled ``mode="base"``. Ties break
towards the lower film id, so the same inputs always give the same list.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ScoredFilm", "Ranking", "minmax", "top_k", "rank"]


@dataclass(frozen=True)
class ScoredFilm:
    film_id: int
    score: float      # what the list is sorted by, in [0, 1]
    personal: float   # the content-similarity part, scaled to [0, 1] (0 in base mode)
    base: float       # the base model's part, scaled to [0, 1]


@dataclass(frozen=True)
class Ranking:
    items: list[ScoredFilm]
    mode: str          # "personal" or "base"
    blend_weight: float
    base_model: str


def minmax(x: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant vector becomes all zeros (it carries no preference)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if not np.isfinite(lo) or not np.isfinite(hi):
        x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def top_k(scores: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best scores, best first, ties towards the lower id (exact)."""
    n = len(scores)
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if k < n:
        kth = np.partition(scores, n - k)[n - k]
        pool = np.flatnonzero(scores >= kth)
    else:
        pool = np.arange(n)
    order = np.lexsort((ids[pool], -scores[pool]))
    return pool[order[:k]]


def rank(*, candidate_ids: np.ndarray, personal: np.ndarray | None, base: np.ndarray, k: int,
         blend_weight: float, base_model: str, personalised: bool) -> Ranking:
    """Blend and order. ``personal`` is raw similarity, ``base`` raw base-model scores."""
    base01 = minmax(base)
    if personalised and personal is not None:
        personal01 = minmax(personal)
        final = blend_weight * personal01 + (1.0 - blend_weight) * base01
        mode = "personal"
    else:
        personal01 = np.zeros_like(base01)
        final = base01
        mode = "base"
    best = top_k(final, candidate_ids, k)
    items = [ScoredFilm(int(candidate_ids[i]), float(final[i]), float(personal01[i]), float(base01[i]))
             for i in best]
    return Ranking(items, mode, blend_weight if mode == "personal" else 0.0, base_model)
