"""``UserModel.step`` for many users at once: the k-th event of every user in one numpy step.

Each user's events are folded in their order, exactly as ``UserModel.step`` does one at a time
(float64 arithmetic, the strong-signal rate, a zero vector when an update cancels out, no move
for a neutral signal or a non-finite film vector); only the loop runs over event positions
instead of events. A chunk of 100,000 ratings from 1,000 users is a few hundred numpy steps.
"""

from __future__ import annotations

import numpy as np

from personalization.core.signals import is_strong
from personalization.core.user_model import UserModel

__all__ = ["fold", "stars_strengths"]


def stars_strengths(stars: np.ndarray) -> np.ndarray:
    """``signals.stars_strength`` of many (checked) ratings."""
    return np.clip((np.asarray(stars, np.float64) - 3.0) / 2.0, -1.0, 1.0)


def fold(
    rule: UserModel,
    start: np.ndarray,
    owner: np.ndarray,
    matrix: np.ndarray,
    positions: np.ndarray,
    strengths: np.ndarray,
) -> np.ndarray:
    """The vectors after the events: ``start`` (users x dim, float32) folded with events
    ``(owner row, film's row in matrix, strength)``, each user's in the order given."""
    out = np.array(start, dtype=np.float32, copy=True)
    n = len(owner)
    if n == 0:
        return out
    owner = np.asarray(owner, np.intp)
    # Position of each event among its user's events (0, 1, 2, ... in the order given).
    order = np.argsort(owner, kind="stable")
    sorted_owner = owner[order]
    first = np.r_[True, sorted_owner[1:] != sorted_owner[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    rank = np.empty(n, np.intp)
    rank[order] = np.arange(n) - group_start
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(int(rank.max()) + 2))
    strengths = np.asarray(strengths, np.float64)
    positions = np.asarray(positions, np.intp)
    finite = np.isfinite(matrix).all(axis=1)[positions]
    rates = np.where(np.abs(strengths) >= 1.0, rule.strong_learning_rate, rule.learning_rate)
    assert is_strong(1.0) and not is_strong(0.99)  # the rule ``rates`` spells out
    moves = (strengths != 0.0) & finite
    for k in range(len(bounds) - 1):
        idx = by_rank[bounds[k] : bounds[k + 1]]
        idx = idx[moves[idx]]
        if not len(idx):
            continue
        rows = owner[idx]
        updated = out[rows].astype(np.float64) + (rates[idx] * strengths[idx])[:, None] * matrix[positions[idx]].astype(
            np.float64
        )
        norm = np.sqrt(np.einsum("ij,ij->i", updated, updated))
        ok = np.isfinite(norm) & (norm >= 1e-12)
        result = np.zeros_like(updated)
        result[ok] = updated[ok] / norm[ok, None]
        out[rows] = result.astype(np.float32)
    return out
