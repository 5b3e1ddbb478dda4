def test_rate_then_recommend(service, small_catalogue):
    for film, stars in [(1, 5), (5, 4.5), (9, 5), (2, 1), (3, 2)]:
        service.rate(7, film, stars)
    recs = service.recommend(7, 5)
    assert recs.mode == "personal"
    assert {r.film.id for r in recs.items}.isdisjoint({1, 5, 9, 2, 3})


def test_demo_data_loaded(demo_service):
    assert demo_service.status().ratings > 1000


def test_browsing_verbs(demo_service):
    svc = demo_service
    users = svc.users("", 5)
    assert len(users) == 5 and users[0]["n_ratings"] >= users[-1]["n_ratings"]
    sim = svc.similar_films(1, 5)
    assert len(sim) == 5 and all(f.id != 1 for f, _ in sim)
    assert sim[0][1] >= sim[-1][1]
    picks = svc.films_to_rate(users[0]["id"], 5)
    rated, _ = svc.history(users[0]["id"])
    assert len(picks) == 5 and not {f.id for f in picks} & set(rated)
    traj = svc.taste_trajectory(users[0]["id"])
    assert len(traj) == users[0]["n_ratings"]
    import numpy as np

    stored, _ = svc.user_vector(users[0]["id"])
    assert np.allclose(traj[-1][3], stored, atol=1e-5)
    near = svc.nearest_users(1, 3)
    assert len(near) == 3
    ov = svc.overview()
    assert sum(n for _, n in ov["star_distribution"]) == svc.status().ratings


def test_saved_model_settings_reach_other_processes(demo_db_url, settings):
    import time

    from personalization.service import Service

    with Service.open(settings, url=demo_db_url) as a, Service.open(settings, url=demo_db_url) as b:
        assert b.model_settings.blend_weight == a.model_settings.blend_weight
        a.save_model_settings(blend_weight=0.25)
        deadline = time.monotonic() + 5
        while b.model_settings.blend_weight != 0.25 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert b.model_settings.blend_weight == 0.25
    with Service.open(settings, url=demo_db_url, listen=False) as c:
        assert c.model_settings.blend_weight == 0.25


def test_warm_up_fits_before_the_first_request(demo_service):
    assert demo_service.engine.fitted_scorer is None
    demo_service.warm_up(background=False)
    scorer = demo_service.engine.fitted_scorer
    assert scorer is not None and scorer.catalogue is demo_service.catalogue()
    demo_service.recommend(1, 5)
    assert demo_service.engine.fitted_scorer is scorer  # the request used the warm models
