def test_rate_then_recommend(service, small_catalogue):
    for film, stars in [(1, 5), (5, 4.5), (9, 5), (2, 1), (3, 2)]:
        service.rate(7, film, stars)
    recs = service.recommend(7, 5)
    assert recs.mode == "personal"
    assert {r.film.id for r in recs.items}.isdisjoint({1, 5, 9, 2, 3})


def test_demo_data_loaded(demo_service):
    assert demo_service.status().ratings > 1000
