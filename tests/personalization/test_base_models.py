"""Every base model through one contract, plus what each one promises."""

from __future__ import annotations

import numpy as np
import pytest

from personalization.core.base_models import ALS, EASE, ItemKNN, Popularity, Ratings, RefitModel, Sequence, Trending
from personalization.core.base_models.base import read_state, save_state
from personalization.core.base_models.running import HistoryScoreCache
from personalization.core.catalogue import Film
from personalization.data import synthetic
from personalization.evaluation.seed import Seed, seed_direction

DATA = synthetic.generate(n_users=60, n_films=150, mean_ratings=25, seed=2)
CANDS = np.arange(1, 152, dtype=np.int64)  # film 151 is unknown to every model
FACTORIES = {
    "popularity": Popularity,
    "trending": lambda: Trending(half_life=100),
    "itemknn": lambda: ItemKNN(neighbours=20, recency_half_life=5),
    "ease": lambda: EASE(l2=50, recency_half_life=5),
    "ease_pruned": lambda: EASE(l2=50, recency_half_life=5, neighbours=10),
    "als": lambda: ALS(factors=8, iterations=3),
    "sequence": Sequence,
}


@pytest.fixture(params=list(FACTORIES))
def name(request):
    return request.param


@pytest.fixture
def model(name):
    return FACTORIES[name]().fit(DATA.ratings)


def histories():
    films = [int(f) for f in DATA.ratings.films]
    yield {}
    yield {films[0]: 5.0}
    yield {f: (2.0 if i % 3 == 0 else 4.5) for i, f in enumerate(films[10:40])}
    yield {**{f: 4.0 for f in films[50:56]}, 151: 5.0}  # a film no model knows


def test_state_round_trip_gives_identical_scores(name, model):
    blob = save_state(model.state())  # what the trainer publishes: bytes, no pickle
    served = FACTORIES[name]()
    served.load_state(read_state(blob))
    for history in histories():
        for user in (None, 4):  # from scratch, and through the running per-user scores
            assert np.array_equal(served.score(history, CANDS, user=user), model.score(history, CANDS, user=user))
    assert not served.stale


def test_a_served_model_never_refits_and_keeps_learning_what_is_online(name, model):
    served = FACTORIES[name]()
    served.load_state(read_state(save_state(model.state())))
    film = int(DATA.ratings.films[0])
    before = served.score({film: 5.0}, CANDS).copy()
    for u in range(1000, 1400):  # 400 new people rate film 151 (new) after the same film
        served.learn_one(u, film, 5.0)
        served.learn_one(u, 151, 5.0)
    assert not served.stale
    served.refit()  # nothing to rebuild: the trainer publishes the next structure
    after = served.score({film: 5.0}, CANDS)
    if isinstance(served, RefitModel):
        assert np.array_equal(after, before) and len(served.log) == 0 and served.fitted_on == model.fitted_on
    else:  # popularity, trending and sequence count online on top of the published counts
        assert after[-1] > before[-1]


@pytest.mark.parametrize("name", ["popularity", "trending", "sequence", "itemknn", "ease", "als"])
def test_the_state_of_a_model_that_learned_online_round_trips(name):
    learned = FACTORIES[name]()
    learned.fit(Ratings.empty())
    r = DATA.ratings
    for u, f, s in zip(r.users.tolist(), r.films.tolist(), r.stars.tolist()):
        learned.learn_one(u, f, s)
        if learned.stale:
            learned.refit()
    served = FACTORIES[name]()
    served.load_state(read_state(save_state(learned.state())))
    for history in histories():
        assert np.allclose(served.score(history, CANDS), learned.score(history, CANDS), rtol=1e-12, atol=0)


def test_a_state_is_numbers_only():
    with pytest.raises(TypeError):
        save_state({"films": np.array(["a", "b"], dtype=object)})
    with pytest.raises(ValueError):
        Popularity().load_state({"items": np.array([1, 2]), "good": np.zeros(1), "total": np.zeros(2)})
    with pytest.raises(ValueError):  # a model that learns nothing accepts only an empty state
        _Nothing().load_state({"x": np.zeros(1)})
    _Nothing().load_state({})


class _Nothing(Popularity):
    name = "nothing"

    def state(self):
        return {}

    def load_state(self, arrays):
        from personalization.core.base_models.base import BaseModel

        BaseModel.load_state(self, arrays)


def test_sequence_fit_counts_what_learn_one_counts():
    fitted = Sequence(window=3, decay=0.5).fit(DATA.ratings)
    online = Sequence(window=3, decay=0.5)
    r = DATA.ratings
    for u, f, s in zip(r.users.tolist(), r.films.tolist(), r.stars.tolist()):
        online.learn_one(u, f, s)
    for history in histories():
        assert np.allclose(fitted.score(history, CANDS), online.score(history, CANDS))
    assert list(fitted.recent.items()) == list(online.recent.items())  # it carries on the same way
    pruned = Sequence(max_next=3).fit(DATA.ratings)
    assert np.all(np.diff(pruned.indptr) <= 3) and len(pruned.targets) < len(fitted.targets)


def test_history_score_cache_stays_under_its_byte_budget_least_recently_used_out():
    n_items = 1000  # 8,000 bytes of scores per user
    per_user = n_items * 8 + HistoryScoreCache.ENTRY_BYTES
    cache = HistoryScoreCache(max_bytes=10 * per_user)
    calls = []

    def full_for(user):
        def full():
            calls.append(user)
            return np.full(n_items, float(user))

        return full

    def get(user):
        return cache.get(user, {1: 5.0}, 1, full_for(user), lambda f: None, 1.0, lambda s: 1.0)

    for user in range(25):
        get(user)
        assert cache.nbytes <= cache.max_bytes
        if user == 5:
            get(0)  # user 0 used again: now more recent than 1-5
    assert len(cache) == 10 and cache.nbytes == 10 * per_user
    assert list(cache.entries) == list(range(15, 25))
    calls.clear()
    get(24)
    assert calls == []  # cached
    get(0)
    assert calls == [0]  # evicted long ago (used at 5, then 19 others)
    cache.limit(3 * per_user)
    assert list(cache.entries) == [23, 24, 0] and cache.nbytes == 3 * per_user
    cache.limit(0)
    assert len(cache) == 0 and cache.nbytes == 0
    get(7)
    assert len(cache) == 0  # a budget of 0 keeps nothing


def test_the_per_user_state_of_a_model_obeys_its_budget():
    m = EASE(l2=50, min_count=1).fit(DATA.ratings)
    films = [int(f) for f in DATA.ratings.films]
    m.limit_cache(5 * (len(m.items) * 8 + HistoryScoreCache.ENTRY_BYTES))
    for user in range(40):
        m.score({films[user]: 5.0}, CANDS, user=user)
    assert len(m.running) == 5 and m.cache_bytes() <= m.running.max_bytes
    s = Sequence()
    s.limit_cache(10 * Sequence.RECENT_BYTES)
    for user in range(40):
        s.learn_one(user, 1, 4.0)
    assert list(s.recent) == list(range(30, 40)) and s.cache_bytes() == 10 * Sequence.RECENT_BYTES


def test_contract_shapes_determinism_and_no_mutation(name, model):
    history = {int(f): 5.0 for f in DATA.ratings.films[:6]}
    before = dict(history)
    cands = CANDS.copy()
    a = model.score(history, cands)
    b = FACTORIES[name]().fit(DATA.ratings).score(history, cands)
    assert a.shape == (len(CANDS),) and np.all(np.isfinite(a))
    assert np.allclose(a, b)  # same data, same scores
    assert history == before and np.array_equal(cands, CANDS)
    assert a[-1] <= a[:-1].min()  # an unknown film never outranks a known one


def test_learn_one_is_taken_into_account(model):
    history = {int(DATA.ratings.films[0]): 5.0}
    before = model.score(history, CANDS).copy()
    for u in range(1000, 1030):  # 30 new people rate film 151 (new) after the same film
        model.learn_one(u, int(DATA.ratings.films[0]), 5.0)
        model.learn_one(u, 151, 5.0)
    model.refit()  # a no-op for the fully online models
    after = model.score(history, CANDS)
    assert after[-1] > before[-1]


def test_a_new_rating_counts_at_once_without_a_refit():
    m = EASE(l2=10, min_count=1).fit(DATA.ratings)
    films = [int(f) for f in DATA.ratings.films[:5]]
    h = {f: 5.0 for f in films[:4]}
    s1 = m.score(h, CANDS, user=7).copy()
    h[films[4]] = 5.0
    s2 = m.score(h, CANDS, user=7)
    assert not np.allclose(s1, s2)


@pytest.mark.parametrize("cls", [EASE, ItemKNN])
def test_running_scores_equal_a_full_recompute(cls):
    m = cls(recency_half_life=3.0, low_weight=0.5, min_count=1).fit(DATA.ratings)
    films = [int(f) for f in np.unique(DATA.ratings.films)[:12]]
    history: dict = {}
    for i, f in enumerate(films):
        history[f] = 2.0 if i % 3 == 0 else 5.0
        if i % 4 != 1:  # sometimes several films arrive between two requests
            incremental = m.score(history, CANDS, user=1)
            assert np.allclose(incremental, m.score(history, CANDS), atol=1e-6)


def test_ease_is_the_closed_form():
    r = DATA.ratings
    m = EASE(l2=20.0, min_count=1, max_items=10_000, neighbours=0).fit(r)
    items = m.items.ids
    users = np.unique(r.users)
    x = np.zeros((len(users), len(items)))
    x[np.searchsorted(users, r.users), np.searchsorted(items, r.films)] = 1.0
    g = x.T @ x + 20.0 * np.eye(len(items))
    p = np.linalg.inv(g)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    assert np.allclose(m.weights, b, atol=1e-4)
    pruned = EASE(l2=20.0, min_count=1, max_items=10_000, neighbours=5).fit(r)
    kept = pruned.weights != 0
    assert np.all(kept.sum(axis=1) <= 5) and np.allclose(pruned.weights[kept], b[kept], atol=1e-4)
    smallest_kept = np.where(kept, np.abs(b), np.inf).min(axis=1)
    largest_dropped = np.where(kept, -np.inf, np.abs(b)).max(axis=1)
    assert np.all(largest_dropped <= smallest_kept + 1e-6)  # the largest weights of each row stay


def test_refit_schedule_grows_with_the_data():
    m = ItemKNN(refit_every=1000)
    m.fit(Ratings.empty())
    for i in range(199):
        m.learn_one(1, i % 50, 4.0)
    assert not m.stale
    m.learn_one(1, 3, 4.0)
    assert m.stale
    m.refit()
    assert not m.stale and m.fitted_on == 200


def test_sequence_recommends_what_people_rate_next():
    r = Ratings(np.array([1, 1, 1, 2, 2, 2]), np.array([10, 20, 30, 10, 20, 40]), np.full(6, 4.0))
    m = Sequence(window=1).fit(r)
    s = m.score({10: 4.0}, np.array([10, 20, 30, 40]))
    assert s[1] == 2.0 and s[2] == s[3] == 0.0
    s = m.score({5: 4.0, 20: 4.0}, np.array([10, 20, 30, 40]))
    assert s[2] == s[3] == 1.0


def test_trending_forgets():
    m = Trending(half_life=10)
    for _ in range(20):
        m.learn_one(1, 1, 5.0)
    for _ in range(20):
        m.learn_one(1, 2, 5.0)
    s = m.score({}, np.array([1, 2]))
    assert s[1] > s[0] * 3


def test_seed_keeps_the_original_sign_behaviour():
    assert seed_direction(kind="like")[0] == -1.0  # like pushed away (original bug)
    assert seed_direction(kind="dislike")[0] == -1.0
    assert seed_direction(4.0, kind="negative")[0] == 1.0
    assert seed_direction(5.0) == (1.0, 0.15) and seed_direction(1.0) == (-1.0, 0.15)
    assert seed_direction(3.0)[0] == 0.0


def test_seed_first_embedding_pulls_towards_every_rating():
    films = [Film(i, f"F{i}", 2000, ("Drama",) if i < 5 else ("Horror",)) for i in range(1, 10)]
    hated = 7

    def embedding(last_film: int):
        m = Seed(films, dim=32)
        for f in (1, 2, 3, 4):
            m.learn_one(1, f, 5.0)
        m.learn_one(1, last_film, 0.5)  # the 5th rating: the first embedding is made now
        assert m.score_user(1, np.arange(1, 10)).shape == (9,)
        return m, m.embedding[1]

    m, with_hated = embedding(hated)
    _, with_other = embedding(8)
    v = m.vectors[hated - 1]
    assert float(with_hated @ v) > float(with_other @ v)  # the half-star film pulled it closer


def test_popularity_scores_do_not_depend_on_a_remembered_lookup():
    m = Popularity().fit(DATA.ratings)
    first = m.score({}, CANDS)
    assert first[-1] == 0.0  # nobody rated film 151: 0
    m.learn_one(5, 151, 5.0)  # the index grows: looked up again
    again = m.score({}, CANDS.copy())  # equal values, another array
    assert again[-1] > 1.0 and np.array_equal(again[:-1], first[:-1])
    fresh = Popularity().fit(DATA.ratings)
    fresh.learn_one(5, 151, 5.0)
    assert np.array_equal(fresh.score({}, CANDS[::-1])[::-1], again)


def test_every_registered_model_is_a_base_model_built_from_the_settings():
    from personalization.config import ModelSettings
    from personalization.core.base_models import REGISTRY, BaseModel, RefitModel

    settings = ModelSettings()
    for name, entry in REGISTRY.items():
        model = entry.build(settings.base_models)
        assert isinstance(model, BaseModel) and model.name == name and not model.stale
        assert settings.value(entry.weight_field) == entry.weight
    knn = REGISTRY["itemknn"].build(ModelSettings(knn_neighbours=7, recency_half_life=2.0).base_models)
    assert isinstance(knn, RefitModel) and knn.neighbours == 7 and knn.recency_half_life == 2.0


def test_the_base_models_are_abstract():
    from personalization.core.base_models import BaseModel, RefitModel

    with pytest.raises(TypeError):
        BaseModel()  # type: ignore[abstract]
    with pytest.raises(TypeError):
        RefitModel(max_items=10, min_count=1, low_weight=1.0, refit_every=10)  # type: ignore[abstract]


def test_spd_inverse_matches_numpy_and_scipy():
    from scipy import linalg

    from personalization.core.base_models.ease import spd_inverse

    rng = np.random.default_rng(3)
    x = rng.random((200, 60))
    gram = x.T @ x + 5.0 * np.eye(60)
    inverse = spd_inverse(gram.copy())
    assert np.allclose(inverse, np.linalg.inv(gram), rtol=1e-9, atol=1e-12)
    assert np.allclose(inverse, linalg.inv(gram), rtol=1e-9, atol=1e-12)
    assert np.array_equal(inverse, inverse.T)
    assert np.allclose(inverse @ gram, np.eye(60), atol=1e-9)
    skew = gram.copy()
    skew[0, 1] += 1.0  # not symmetric: the general inverse
    assert np.allclose(spd_inverse(skew.copy()), np.linalg.inv(skew), rtol=1e-9, atol=1e-12)
    indefinite = np.diag([1.0, -2.0, 3.0])  # symmetric, not positive definite
    assert np.allclose(spd_inverse(indefinite.copy()), np.linalg.inv(indefinite))
