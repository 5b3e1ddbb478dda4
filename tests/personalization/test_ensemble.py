"""The blend and the per-user weight learning (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from personalization.config import ModelSettings
from personalization.core.catalogue import Film
from personalization.core.ensemble import PERSONAL, UserWeights, blend, hedge_update, prior_weights, rank_of
from personalization.core.ranker import top_k
from personalization.core.user_model import UserModel
from personalization.data import synthetic
from personalization.evaluation.replay import Stream, fit_scorer


def test_rank_of_agrees_with_top_k_including_ties():
    rng = np.random.default_rng(0)
    for _ in range(50):
        ids = rng.permutation(200).astype(np.int64) + 1
        scores = rng.integers(0, 5, 200).astype(float)  # many ties
        mask = rng.random(200) > 0.2
        cand = np.flatnonzero(mask)
        order = cand[top_k(scores[cand], ids[cand], len(cand))]
        target = int(rng.choice(cand))
        assert rank_of(scores, ids, target, mask) == int(np.flatnonzero(order == target)[0]) + 1


def test_hedge_moves_weight_towards_the_term_that_ranked_the_film_well():
    prior = UserWeights(0.2, {"ease": 0.5, "itemknn": 0.5})
    w = hedge_update(prior, {PERSONAL: 500, "ease": 1, "itemknn": 300}, prior, rate=1.0, share=0.0)
    assert w.base_weights["ease"] > 0.5 > w.base_weights["itemknn"]
    assert w.personal_weight < 0.2
    assert sum(w.base_weights.values()) == pytest.approx(1.0)


def test_hedge_share_keeps_weights_near_the_prior():
    prior = UserWeights(0.3, {"ease": 0.5, "itemknn": 0.5})
    w = prior
    for _ in range(200):
        w = hedge_update(w, {PERSONAL: 1000, "ease": 1, "itemknn": 1000}, prior, rate=2.0, share=0.1)
    ex, pr = w.term_weights(), prior.term_weights()
    assert all(ex[m] >= 0.1 * pr[m] - 1e-9 for m in pr)  # nothing falls below share x prior


def test_blend_without_personal_weight_is_the_base_blend():
    terms = {"ease": np.array([1.0, 3.0, 2.0]), PERSONAL: np.array([5.0, 0.0, 1.0])}
    final, personal, base = blend(terms, UserWeights(0.0, {"ease": 1.0}))
    assert np.allclose(final, [0.0, 1.0, 0.5]) and np.allclose(final, base)
    final, personal, _ = blend(terms, UserWeights(1.0, {"ease": 1.0}))
    assert np.allclose(final, personal) and np.allclose(final, [1.0, 0.0, 0.2])


def test_prior_weights_come_from_the_settings():
    w = prior_weights(
        ModelSettings(
            weight_ease=1.0,
            weight_itemknn=1.0,
            weight_sequence=0.0,
            weight_popularity=0.0,
            weight_als=0.0,
            weight_trending=0.0,
            blend_weight=0.1,
        )
    )
    assert w.personal_weight == 0.1 and w.base_weights == {"itemknn": 0.5, "ease": 0.5}


def test_a_user_who_loves_only_one_genre_gets_that_genre():
    data = synthetic.generate(n_users=150, n_films=500, mean_ratings=40, seed=11)
    films = [
        Film(f["id"], f["title"], f["year"], tuple(f["genres"]), tuple(f["directors"]), tuple(f["actors"]))
        for f in data.films
    ]
    settings = ModelSettings()
    scorer = fit_scorer(Stream(data.ratings, films), settings)
    cat = scorer.catalogue
    # a genre that is neither the most common one nor rare
    counts = sorted({g: sum(g in f.genres for f in films) for g in synthetic.GENRES}.items(), key=lambda x: -x[1])
    genre = counts[3][0]
    horror = [f.id for f in films if f.genres == (genre,)][:8]
    assert len(horror) >= 5
    history = {f: 5.0 for f in horror}
    rule = UserModel(settings.dim, settings.learning_rate, settings.strong_learning_rate)
    vector = rule.rebuild((cat.vector(f), 1.0) for f in horror)
    mask = np.ones(len(cat), bool)
    mask[cat.positions(horror)] = False
    ranking = scorer.rank(history, vector, prior_weights(settings), mask=mask, k=10, n_ratings=len(history))
    genres = [cat.get(s.film_id).genres for s in ranking.items]
    assert ranking.mode == "personal" and len(genres) == 10
    assert all(genre in g for g in genres[:3]), (genre, genres)
    assert sum(genre in g for g in genres) >= 7, (genre, genres)  # the catalogue has ~15% of it


def test_the_service_learns_and_stores_each_users_weights(demo_service):
    svc = demo_service
    prior = prior_weights(svc.model_settings)
    user = 987654321
    films = [int(f) for f in svc.catalogue().ids[:12]]
    for f in films[:5]:
        svc.rate(user, f, 3.0)
    assert svc.profile(user).model_weights == pytest.approx(prior.model_weights, abs=1e-4)
    for f in films[5:10]:
        svc.rate(user, f, 5.0)  # rated well after 5 ratings: every term is credited
    svc.feedback(user, films[10], "love")
    with svc.db.pool.connection() as conn:
        blend_weight, weights = conn.execute(
            "SELECT blend_weight, model_weights FROM user_model_weights WHERE user_id = %s", (user,)
        ).fetchone()
    profile = svc.profile(user)
    assert profile.blend_weight == pytest.approx(blend_weight, abs=1e-6)
    assert profile.model_weights == pytest.approx(weights, abs=1e-4)
    assert weights != pytest.approx(prior.model_weights, abs=1e-4)
    recs = svc.recommend(user, k=5)
    assert recs.blend_weight == pytest.approx(blend_weight, abs=1e-6)
    assert not {r.film.id for r in recs.items} & set(films[:11])


def test_content_scores_gather_equals_the_full_product_within_float32():
    from personalization.core.ensemble import ContentScores

    rng = np.random.default_rng(2)
    rows = rng.standard_normal((40, 32)).astype(np.float32)
    matrix = rows[rng.integers(0, 40, 500)]  # 500 films, 40 distinct content rows
    content = ContentScores(matrix)
    assert content.unique is not None and len(content.unique) == 40
    v = rng.standard_normal(32).astype(np.float32)
    assert np.allclose(content(v), matrix @ v, rtol=1e-5, atol=1e-5)
    same = np.flatnonzero((matrix == matrix[0]).all(axis=1))
    assert len(set(content(v)[same].tolist())) == 1  # one row, one score
    distinct = ContentScores(rng.standard_normal((50, 8)).astype(np.float32))
    assert distinct.unique is None  # nothing to gain: the plain product


def test_learning_and_scoring_from_two_threads_never_fail():
    """Found by the load bench: Popularity.learn_one replaced its arrays one after another
    while a request scored in another thread (broadcast errors reached callers)."""
    import threading

    from personalization.core.base_models.popularity import Popularity
    from personalization.core.catalogue import Catalogue
    from personalization.core.ensemble import Scorer

    catalogue = Catalogue.build([Film(i, f"Film {i}", 2000, ("Drama",)) for i in range(1, 3001)], 16)
    scorer = Scorer(catalogue, {"popularity": Popularity()}, ModelSettings(dim=16))
    errors: list[BaseException] = []

    def learn() -> None:
        for i in range(1, 3001):  # every film new to the model: its arrays grow each time
            scorer.learn_one(i % 7, i, 5.0)

    def score() -> None:
        try:
            for _ in range(600):
                scorer.terms({}, None, names=["popularity"])
        except BaseException as exc:  # noqa: BLE001 - any error is the failure
            errors.append(exc)

    threads = [threading.Thread(target=learn), threading.Thread(target=score)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:1]
