"""Per-user memory in a serving process stays within its byte budget (``Settings.cache_mb``),
least recently used users first out."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from personalization.service import Service
from personalization.service.cache import TTLCache, VectorCache, approximate_size
from personalization.service.engine import cache_budgets


def test_ttl_cache_keeps_to_its_bytes_least_recently_used_out():
    cache = TTLCache(capacity=1_000, ttl=60, max_bytes=10 * (100 + TTLCache.ENTRY_BYTES), sizeof=len)
    for key in range(30):
        cache.put(key, "x" * 100)
        if key == 3:
            cache.get(0)  # used again: now more recent than 1-3
        assert cache.nbytes <= cache.max_bytes
    assert cache.keys() == list(range(20, 30)) and cache.nbytes == 10 * (100 + TTLCache.ENTRY_BYTES)
    cache.put(20, "x" * 10)  # replacing a value re-counts it
    assert cache.nbytes == 9 * (100 + TTLCache.ENTRY_BYTES) + 10 + TTLCache.ENTRY_BYTES
    cache.put("big", "x" * 10_000)  # larger than the whole budget: not kept, nothing evicted for it
    assert cache.get("big") is None and len(cache) == 10
    cache.discard(21)
    cache.clear()
    assert cache.nbytes == 0


def test_vector_cache_capacity_comes_from_its_bytes():
    dim = 16
    budget = 50 * VectorCache.entry_bytes(dim)
    cache = VectorCache(10_000, dim, ttl=60, max_bytes=budget)
    assert cache.capacity == 50
    for user in range(120):
        cache.put(user, np.full(dim, user, np.float32), user)
        if user == 10:
            cache.get(0)
        assert cache.nbytes <= budget
    assert len(cache) == 50 and cache.keys() == list(range(70, 120))
    assert VectorCache(10_000, dim, max_bytes=10).capacity == 0  # too small for one: keeps none
    none = VectorCache(10_000, dim, max_bytes=10)
    none.put(1, np.ones(dim, np.float32))
    assert none.get(1) is None


def test_approximate_size_counts_what_a_value_holds():
    small, large = {"a": [1.0] * 10}, {"a": [1.0] * 1000}
    assert approximate_size(large) > approximate_size(small) + 7_000
    arr = np.zeros(1000)
    assert approximate_size(arr) >= 8_000 and approximate_size(arr[:500]) >= 4_000


def test_a_serving_process_keeps_every_per_user_cache_within_its_budget(demo_db_url, settings):
    settings = replace(settings, cache_mb=0.25)  # 256 KiB for everything per user
    budgets = cache_budgets(settings)
    assert sum(budgets.values()) <= 0.25 * 2**20
    with Service.open(settings, url=demo_db_url, listen=False) as svc:
        users = [u["id"] for u in svc.users(limit=60)]
        for user in users:
            svc.recommend(user, 5)
            svc.profile(user)
        engine = svc.engine
        used = engine.cache_bytes()
        assert used["vectors"] <= budgets["vectors"] and used["profiles"] <= budgets["profiles"]
        assert 0 < used["reasons"] <= budgets["reasons"]  # the reasons written for the lists
        per_model = [b for m, b in used.items() if m not in ("vectors", "profiles", "reasons")]
        assert sum(per_model) <= budgets["models"]
        ease = engine.scorer().base_models["ease"]
        assert 0 < len(ease.running) < len(users)  # some users' running scores went
        assert list(ease.running.entries)[-1] == users[-1]  # the last one asked is still there
        status = svc.status()
        assert status.cache["bytes"] == sum(used.values()) <= status.cache["budget_bytes"]
