import numpy as np

from personalization.service.cache import TTLCache, VectorCache
from personalization.core.ranker import minmax, rank, top_k


def test_blend_formula_over_scaled_terms():
    ids = np.array([1, 2, 3])
    r = rank(candidate_ids=ids, personal=np.array([0.0, 0.5, 1.0]), base=np.array([10.0, 0.0, 5.0]),
             k=3, blend_weight=0.6, base_model="popularity", personalised=True)
    by_id = {s.film_id: s for s in r.items}
    assert r.mode == "personal"
    assert np.isclose(by_id[1].score, 0.6 * 0.0 + 0.4 * 1.0)
    assert np.isclose(by_id[2].score, 0.6 * 0.5 + 0.4 * 0.0)
    assert np.isclose(by_id[3].score, 0.6 * 1.0 + 0.4 * 0.5)
    assert [s.film_id for s in r.items] == [3, 1, 2]


def test_base_order_below_threshold_is_labelled():
    ids = np.array([5, 6, 7])
    r = rank(candidate_ids=ids, personal=np.array([1.0, 0, 0]), base=np.array([0.0, 2.0, 1.0]),
             k=2, blend_weight=0.6, base_model="popularity", personalised=False)
    assert r.mode == "base" and [s.film_id for s in r.items] == [6, 7]
    assert all(s.personal == 0 for s in r.items)


def test_ties_break_towards_the_lower_id():
    ids = np.array([9, 3, 7, 1, 5])
    assert ids[top_k(np.ones(5), ids, 3)].tolist() == [1, 3, 5]
    scores = np.array([1.0, 2.0, 2.0, 0.5, 2.0])
    assert ids[top_k(scores, ids, 2)].tolist() == [3, 5]


def test_minmax_edge_cases():
    assert minmax(np.array([])).size == 0
    assert minmax(np.array([2.0, 2.0])).tolist() == [0.0, 0.0]
    assert minmax(np.array([np.nan, 1.0, 3.0])).tolist() == [0.0, 1 / 3, 1.0]


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
