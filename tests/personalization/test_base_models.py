"""Every base model through one contract, plus what each one promises."""

from __future__ import annotations

import numpy as np
import pytest

from personalization.core.base_models import ALS, EASE, ItemKNN, Popularity, Ratings, Sequence, Trending
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
    "als": lambda: ALS(factors=8, iterations=3),
    "sequence": Sequence,
}


@pytest.fixture(params=list(FACTORIES))
def model(request):
    return FACTORIES[request.param]().fit(DATA.ratings)


def test_contract_shapes_determinism_and_no_mutation(model):
    history = {int(f): 5.0 for f in DATA.ratings.films[:6]}
    before = dict(history)
    cands = CANDS.copy()
    a = model.score(history, cands)
    b = FACTORIES[model.name]().fit(DATA.ratings).score(history, cands)
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
    m = EASE(l2=20.0, min_count=1, max_items=10_000).fit(r)
    items = m.items.ids
    users = np.unique(r.users)
    x = np.zeros((len(users), len(items)))
    x[np.searchsorted(users, r.users), np.searchsorted(items, r.films)] = 1.0
    g = x.T @ x + 20.0 * np.eye(len(items))
    p = np.linalg.inv(g)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    assert np.allclose(m.weights, b, atol=1e-4)


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
