"""The set-wise fold equals ``UserModel.step`` applied one event at a time, bit for bit."""

from __future__ import annotations

import numpy as np

from personalization.core.user_model import UserModel
from personalization.service.fold import fold, stars_strengths


def _one_at_a_time(rule, start, owner, matrix, positions, strengths):
    out = np.array(start, dtype=np.float32, copy=True)
    for u, p, s in zip(owner.tolist(), positions.tolist(), strengths.tolist()):
        out[u] = rule.step(out[u], matrix[p], s)
    return out


def test_fold_equals_step_one_event_at_a_time_including_the_edge_cases():
    rng = np.random.default_rng(3)
    rule = UserModel(dim=16, strong_learning_rate=1.0)
    matrix = rng.normal(size=(40, 16)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix[3] = np.eye(16)[3]  # loved then hated from nothing at rate 1: exactly cancelled
    matrix[7] = np.nan  # a film vector that is not finite: no move
    start = rng.normal(size=(9, 16)).astype(np.float32)
    start[0] = 0.0  # a user with no taste yet
    start /= np.maximum(np.linalg.norm(start, axis=1, keepdims=True), 1e-12)
    n = 600
    owner = rng.choice(9, size=n, p=np.r_[0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.0])  # user 8: no events
    positions = rng.integers(0, 40, size=n)
    strengths = stars_strengths(rng.choice([0.5, 1, 2, 3, 3.5, 4, 5], size=n))  # 3 stars: neutral
    # User 5 loves then hates film 3 from nothing: the update cancels out (a zero vector).
    owner[owner == 5] = 6
    owner = np.r_[owner, 5, 5]
    positions = np.r_[positions, 3, 3]
    strengths = np.r_[strengths, 1.0, -1.0]
    start[5] = 0.0

    got = fold(rule, start, owner, matrix, positions, strengths)
    want = _one_at_a_time(rule, start, owner, matrix, positions, strengths)
    assert got.dtype == np.float32
    assert np.array_equal(got, want)
    assert not got[5].any() and np.array_equal(got[8], start[8])


def test_fold_of_no_events_and_of_only_neutral_ones_returns_the_start():
    rule = UserModel(dim=8)
    matrix = np.eye(8, dtype=np.float32)
    start = np.eye(3, 8, dtype=np.float32)
    empty = np.zeros(0, np.intp)
    assert np.array_equal(fold(rule, start, empty, matrix, empty, np.zeros(0)), start)
    neutral = fold(rule, start, np.array([0, 1, 1]), matrix, np.array([1, 2, 3]), np.zeros(3))
    assert np.array_equal(neutral, start)
