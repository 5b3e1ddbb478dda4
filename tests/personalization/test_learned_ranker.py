"""The learned re-ranker: its features, LambdaMART on a toy problem, and its place in the replay."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("lightgbm")

from personalization.core.catalogue import Film  # noqa: E402
from personalization.core.learned_ranker import FeatureBuilder, LearnedRanker, UserStats  # noqa: E402
from personalization.data import synthetic  # noqa: E402
from personalization.evaluation.replay import Stream, run_replay  # noqa: E402


def test_features_describe_the_film_and_the_user():
    genres = np.array([[1, 0], [0, 1], [1, 1]], bool)
    builder = FeatureBuilder(["ease"], genres, np.array([1990.0, np.nan, 2010.0]))
    user = UserStats()
    for _ in range(3):
        user.learn_one(5.0, 100.0, genres[0].astype(float))  # loves genre 0
    user.learn_one(2.0, 86500.0, genres[1].astype(float))
    terms = {"ease": np.array([0.2, 0.9, 0.5])}
    rows = builder.rows(np.array([1, 2, 0]), terms, np.array([0.1, 0.8, 0.4]), np.array([3, 1, 0]), user, 86500.0)
    f = dict(zip(builder.names, rows.T))
    assert rows.shape == (3, len(builder.names))
    assert f["ease_rank"].tolist() == [1.0, 2.0, 3.0] and f["blend_rank"].tolist() == [1.0, 2.0, 3.0]
    assert f["genre_affinity"][2] > f["genre_affinity"][1] > f["genre_affinity"][0] == 0.0
    assert np.isnan(f["film_age"][0]) and f["film_age"][2] == pytest.approx(1970 + 86500 / 31557600 - 1990, abs=1e-6)
    assert f["mean_stars"][0] == pytest.approx(4.25) and f["since_last_days"][0] == pytest.approx(0.0)


def test_lambdamart_learns_which_feature_finds_the_positive():
    rng = np.random.default_rng(0)
    groups, rows, labels = [], [], []
    for _ in range(300):
        x = rng.standard_normal((20, 3))
        x[0, 1] += 2.0  # the positive stands out on feature "b" only
        rows.append(x)
        labels += [1] + [0] * 19
        groups.append(20)
    ranker = LearnedRanker(["a", "b", "c"], n_estimators=30, min_child_samples=20).fit(
        np.vstack(rows), np.array(labels), groups
    )
    test = rng.standard_normal((20, 3))
    test[0, 1] += 2.0
    assert ranker.score(test).argmax() == 0
    imp = ranker.importances()
    assert next(iter(imp)) == "b" and sum(imp.values()) == pytest.approx(1.0)
    again = LearnedRanker(["a", "b", "c"], n_estimators=30, min_child_samples=20).fit(
        np.vstack(rows), np.array(labels), groups
    )
    assert np.array_equal(again.score(test), ranker.score(test))  # seeded, one thread


def test_the_replay_trains_it_on_the_past_and_reports_it():
    data = synthetic.generate(n_users=80, n_films=200, mean_ratings=30, seed=2)
    films = [Film(f["id"], f["title"], f["year"], tuple(f["genres"])) for f in data.films]
    report = run_replay(Stream(data.ratings, films, "s"), models=["cinesync", "learned"], every=2)
    info = report.protocol["learned_ranker"]
    assert info["trainings"] >= 1 and sum(info["importances"].values()) == pytest.approx(1.0, abs=1e-3)
    r = report.result("learned")
    assert r.evaluated == report.result("cinesync").evaluated and 0.0 < r.hr_at_10 <= 1.0
