"""With a half-life (ModelSettings.half_life_days > 0) the served taste vector forgets by time on
every path: a rating stepped online, a rebuild from the stored signals, and a bulk import all
give the vector ``UserModel.rebuild`` folds from the timed events."""

from __future__ import annotations

import numpy as np

from personalization.core.signals import stars_strength
from personalization.core.user_model import UserModel
from personalization.service import Service

DAY = 86_400.0
T0 = 1_600_000_000.0
EVENTS = [(1, 5.0, 0), (2, 4.0, 3), (5, 1.0, 4), (7, 4.5, 20), (3, 2.0, 21), (9, 5.0, 60)]  # film, stars, day


def test_every_path_folds_the_same_timed_vector(service, small_catalogue, settings, db_url):
    timed = settings.with_model(half_life_days=7.0, film_factors=0)
    with Service.open(timed, url=db_url, listen=False) as svc:
        for film, stars, day in EVENTS:
            svc.rate(1, film, stars, at=T0 + day * DAY)
        online = svc.user_vector(1)[0]
        rebuilt = svc.rebuild_user(1)
        svc.rate_many([(2, film, stars, T0 + day * DAY) for film, stars, day in EVENTS])
        imported = svc.user_vector(2)[0]
        cat = svc.catalogue()
        rule = svc.rule
        assert rule.half_life_days == 7.0
        events = [(cat.matrix[cat.position(f)], stars_strength(s), T0 + d * DAY) for f, s, d in EVENTS]
        expected = rule.rebuild(events)
    assert np.allclose(online, expected, atol=1e-5)
    assert np.allclose(rebuilt, expected, atol=1e-5)
    assert np.allclose(imported, expected, atol=1e-5)
    untimed = UserModel(rule.dim, rule.learning_rate, rule.strong_learning_rate).rebuild(e[:2] for e in events)
    assert not np.allclose(expected, untimed, atol=1e-3)  # the half-life did change the vector
