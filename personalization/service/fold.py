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
    owner = np.asarray(owner, np.intp)
    strengths = np.asarray(strengths, np.float64)
    positions = np.asarray(positions, np.intp)
    # An event that does not move the vector (a neutral signal, a film vector that is not
    # finite) leaves it exactly as it was (``step`` returns a copy): drop those first.
    moves = (strengths != 0.0) & np.isfinite(matrix).all(axis=1)[positions]
    owner, positions, strengths = owner[moves], positions[moves], strengths[moves]
    n = len(owner)
    if n == 0:
        return out
    assert is_strong(1.0) and not is_strong(0.99)  # the rule ``coef`` spells out
    coef = np.where(np.abs(strengths) >= 1.0, rule.strong_learning_rate, rule.learning_rate) * strengths
    # Position of each event among its user's events (0, 1, 2, ... in the order given).
    order = np.argsort(owner, kind="stable")
    sorted_owner = owner[order]
    first = np.r_[True, sorted_owner[1:] != sorted_owner[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    rank = np.empty(n, np.intp)
    rank[order] = np.arange(n) - group_start
    # Users in slots, most events first: the users with a k-th event are slots 0..n_k-1, so each
    # step works on the first rows of one float64 state, in place (no gather, no scatter).
    counts = np.bincount(owner, minlength=len(out))
    users = np.flatnonzero(counts)
    users = users[np.argsort(-counts[users], kind="stable")]
    slot = np.empty(len(out), np.intp)
    slot[users] = np.arange(len(users))
    steps = np.lexsort((slot[owner], rank))  # by position, then slot
    positions, coef = positions[steps], coef[steps]
    per_step = np.bincount(rank).tolist()
    state = out[users].astype(np.float64)  # the float32 vectors, as ``step`` reads them
    item = np.empty_like(state)
    squares = np.empty(len(users))
    at = 0
    for m in per_step:
        vector, update = state[:m], item[:m]
        update[:] = matrix[positions[at : at + m]]
        update *= coef[at : at + m, None]
        vector += update
        norm = np.sqrt(np.einsum("ij,ij->i", vector, vector, out=squares[:m]))
        ok = np.isfinite(norm) & (norm >= 1e-12)
        if ok.all():
            vector /= norm[:, None]
        else:  # exactly cancelled (or not finite): no taste known, as ``step`` says
            vector[ok] /= norm[ok, None]
            vector[~ok] = 0.0
        vector[:] = vector.astype(np.float32)  # ``step`` returns float32
        at += m
    out[users] = state.astype(np.float32)
    return out
