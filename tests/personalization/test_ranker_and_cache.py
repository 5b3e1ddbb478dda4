import numpy as np

from personalization.core.ranker import rank_of, top_k
from personalization.service.cache import TTLCache, VectorCache


def test_ties_break_towards_the_lower_id():
    ids = np.array([9, 3, 7, 1, 5])
    assert ids[top_k(np.ones(5), ids, 3)].tolist() == [1, 3, 5]
    scores = np.array([1.0, 2.0, 2.0, 0.5, 2.0])
    assert ids[top_k(scores, ids, 2)].tolist() == [3, 5]


def test_ties_are_decided_on_rounded_scores():
    ids = np.array([4, 3, 2, 1])
    scores = np.array([0.5, 0.7, 0.7 + 1e-12, 0.7 - 1e-12])  # equal to 9 decimals: by id
    assert ids[top_k(scores, ids, 3)].tolist() == [1, 2, 3]
    assert [rank_of(scores, ids, i) for i in range(4)] == [4, 3, 2, 1]
    apart = np.array([0.5, 0.7, 0.7 + 1e-6, 0.1])  # a real difference still counts
    assert ids[top_k(apart, ids, 2)].tolist() == [2, 3]


def test_an_optimisation_that_agrees_within_the_precision_gives_the_same_lists():
    rng = np.random.default_rng(1)
    ids = np.arange(1, 3001, dtype=np.int64)
    scores = np.round(rng.random(3000), 4)  # plenty of exact ties
    noisy = scores + rng.uniform(-1e-13, 1e-13, 3000)  # another summation order
    assert np.array_equal(top_k(scores, ids, 50), top_k(noisy, ids, 50))
    mask = rng.random(3000) > 0.3
    for target in rng.choice(np.flatnonzero(mask), 20):
        assert rank_of(scores, ids, target, mask) == rank_of(noisy, ids, target, mask)


def test_ttl_cache_is_lru_and_expires():
    now = [0.0]
    c = TTLCache(capacity=2, ttl=10, clock=lambda: now[0])
    c.put("a", 1)
    c.put("b", 2)
    c.get("a")
    c.put("c", 3)  # evicts b, the least recently used
    assert c.get("b") is None and c.get("a") == 1 and c.get("c") == 3
    now[0] = 11
    assert c.get("a") is None and len(c) == 1


def test_vector_cache_reuses_rows_and_returns_copies():
    now = [0.0]
    c = VectorCache(capacity=2, dim=3, ttl=5, clock=lambda: now[0])
    c.put(1, np.array([1, 0, 0], np.float32), 4)
    c.put(2, np.array([0, 1, 0], np.float32), 5)
    vec, n = c.get(1)
    vec[0] = 99
    assert c.get(1)[0][0] == 1 and n == 4
    c.put(3, np.array([0, 0, 1], np.float32), 6)  # evicts 2
    assert c.get(2) is None and c.get(3)[1] == 6
    c.discard(3)
    assert c.get(3) is None
    now[0] = 6
    assert c.get(1) is None and len(c) == 0
