"""One trainer, many servers: what `cinesync train` publishes is what every serving process
scores with, no serving process fits, and a new version reaches a running one."""

from __future__ import annotations

import threading
import time

import numpy as np
import psycopg
import pytest

from personalization.core.base_models import ALS, EASE, ItemKNN, Popularity, Sequence, Trending
from personalization.service import Service
from personalization.storage.models import ModelStore
from personalization.training import train


def _histories(svc: Service, users: list[int]) -> dict[int, dict[int, float]]:
    return {u: svc.history(u)[0] for u in users}


def test_a_second_service_loads_the_published_models_and_scores_like_the_trainer(demo_db_url, settings):
    with Service.open(settings, url=demo_db_url, listen=False) as trainer_side:
        published = train(ModelStore(trainer_side.db.pool), trainer_side.model_settings, origin="t", keep_models=True)
        users = [u["id"] for u in trainer_side.users(limit=5)]
        histories = _histories(trainer_side, users)
    assert set(published.models) == {"popularity", "trending", "itemknn", "ease", "als", "sequence"}
    with Service.open(settings, url=demo_db_url, listen=False) as served:
        scorer = served.scorer()
        ids = scorer.catalogue.ids
        assert set(scorer.base_models) == set(published.models)
        for user, history in histories.items():
            for name, fitted in published.models.items():
                mine = scorer.base_models[name].score(history, ids, user=user)
                assert np.array_equal(mine, fitted.score(history, ids)), name
        recs = served.recommend(users[0], 5)
        assert recs.model_version == published.version == served.engine.served_version_id
        assert recs.to_dict()["model_version"] == published.version
        status = served.status()
        assert status.models_served == published.version
        assert status.models_published[0]["id"] == published.version
        assert status.models_published[0]["n_ratings"] == published.n_ratings == status.ratings


@pytest.fixture
def fit_calls(monkeypatch):
    """Every fit, refit and batch computation of a base model, counted."""
    calls: list[str] = []
    for cls in (Popularity, Trending, ItemKNN, EASE, ALS, Sequence):
        for method in ("fit", "compute", "refit"):
            original = getattr(cls, method, None)  # its own, or the one it inherits
            if original is None:
                continue

            def counted(self, *args, _original=original, _name=f"{cls.__name__}.{method}", **kwargs):
                calls.append(_name)
                return _original(self, *args, **kwargs)

            monkeypatch.setattr(cls, method, counted)
    return calls


def test_a_serving_process_never_fits_a_model(demo_db_url, settings, fit_calls):
    with Service.open(settings, url=demo_db_url) as svc:
        svc.warm_up(background=False)
        users = [u["id"] for u in svc.users(limit=3)]
        films = svc.catalogue().ids[:40].tolist()
        for user in users:
            svc.recommend(user, 10)
        for i, film in enumerate(films):  # enough new ratings for several refits of a learning model
            svc.rate(900_000 + i % 7, film, 4.5)
            svc.rate(users[i % 3], film, 5.0)
        for user in [*users, 900_001]:
            assert svc.recommend(user, 10).model_version is not None
        for thread in threading.enumerate():
            if thread.name.startswith("refit-"):
                thread.join(10)
        assert fit_calls == []
        assert not any(m.stale for m in svc.scorer().base_models.values())
        train(ModelStore(svc.db.pool), svc.model_settings, origin="t")
    assert "EASE.compute" in fit_calls and "Sequence.fit" in fit_calls  # the trainer does fit


def test_a_new_rating_counts_at_once_against_the_published_models(demo_db_url, settings):
    with Service.open(settings, url=demo_db_url, listen=False) as svc:
        user = 777_001
        cat = svc.catalogue()
        ease = svc.scorer().base_models["ease"]
        covered = [int(f) for f in ease.items.ids[:6]]
        for film in covered[:5]:
            svc.rate(user, film, 5.0)
        before = ease.score(svc.history(user)[0], cat.ids, user=user).copy()
        svc.rate(user, covered[5], 5.0)
        after = ease.score(svc.history(user)[0], cat.ids, user=user)
        assert not np.allclose(before, after)  # the same published B, the user's current history


def test_a_notification_makes_a_running_service_load_the_new_version(demo_db_url, settings):
    with Service.open(settings, url=demo_db_url) as running:
        running.warm_up(background=False)
        first = running.engine.served_version_id
        user = running.users(limit=1)[0]["id"]
        assert first is not None and running.recommend(user, 5).model_version == first
        online = running.scorer().base_models["popularity"]
        with Service.open(settings, url=demo_db_url, listen=False) as trainer_side:
            trainer_side.rate(555_555, int(running.catalogue().ids[0]), 5.0)  # a rating the new version has
            published = train(ModelStore(trainer_side.db.pool), trainer_side.model_settings, origin="t")
        assert published.version > first
        deadline = time.monotonic() + 15
        while running.engine.served_version_id != published.version and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running.engine.served_version_id == published.version
        assert running.recommend(user, 5).model_version == published.version
        assert running.scorer().base_models["popularity"] is not online
        assert running.status().models_served == published.version


def test_before_any_version_the_service_serves_content_and_popularity_and_says_so(demo_db_url, settings):
    with psycopg.connect(demo_db_url, autocommit=True) as conn:
        conn.execute("DELETE FROM model_versions")
    with Service.open(settings, url=demo_db_url, listen=False) as svc:
        assert svc.status().models_published == []
        scorer = svc.scorer()
        assert list(scorer.base_models) == ["popularity"]
        assert svc.engine.served.describe().startswith("none yet")
        new_user = 888_001  # no ratings: the base order, i.e. popularity
        recs = svc.recommend(new_user, 10)
        assert recs.model_version is None and recs.mode == "base"
        pop = scorer.base_models["popularity"].score({}, scorer.catalogue.ids)
        best = scorer.catalogue.ids[np.lexsort((scorer.catalogue.ids, -np.round(pop, 9)))[:10]]
        assert [r.film.id for r in recs.items] == best.tolist()
        heavy = svc.users(limit=1)[0]["id"]
        personal = svc.recommend(heavy, 10)
        assert personal.mode == "personal" and personal.model_version is None
        # the base part is popularity's alone: its weight takes the base models' whole share
        weights = svc.engine.ranking_weights(svc.engine.user_weights(None))
        assert weights.base_weights == {"popularity": 1.0}
        assert svc.status().models_served is None
