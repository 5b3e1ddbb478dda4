"""``Service.what_if``: the picks as if a member had rated films, computed in memory, never stored."""

import numpy as np
import pytest

from personalization.errors import CineSyncError, UnknownFilm


def test_what_if_changes_the_picks_and_stores_nothing(demo_service):
    svc = demo_service
    user = svc.users("", 1)[0]["id"]
    now = svc.recommend(user, 10)
    top = now.items[0].film.id
    vector_before, n_before = svc.user_vector(user)
    status_before, history_before = svc.status(), svc.history(user)

    imagined = svc.what_if(user, {top: 0.5}, 10)
    assert top not in [r.film.id for r in imagined.items]  # a film rated, even in imagination, is never picked
    assert imagined.n_ratings == now.n_ratings + 1 and len(imagined.items) == 10
    # Nothing stored, nothing cached changed: the same rows, history, vector and picks.
    assert svc.status() == status_before and svc.history(user) == history_before
    vector_after, n_after = svc.user_vector(user)
    assert n_after == n_before and np.array_equal(vector_after, vector_before)
    assert [r.film.id for r in svc.recommend(user, 10).items] == [r.film.id for r in now.items]


def test_what_if_replays_the_taste_as_a_real_rating_would(demo_service):
    """The imagined taste vector is the stored signals plus the new one, so a user with no
    history gets the same personal part as after really rating (the base models learn from a
    real rating, so only the personal scores are compared)."""
    svc = demo_service
    films = [f.id for f in svc.catalogue().films[:6]]
    imagined = svc.what_if(770001, {f: 5.0 for f in films}, 5)
    for f in films:
        svc.rate(770001, f, 5.0)
    real = svc.recommend(770001, 5)
    got = {r.film.id: r.personal for r in imagined.items}
    want = {r.film.id: r.personal for r in real.items}
    shared = set(got) & set(want)
    assert shared and all(got[f] == pytest.approx(want[f], abs=1e-5) for f in shared)


def test_what_if_refuses_what_rate_refuses(demo_service):
    user = demo_service.users("", 1)[0]["id"]
    with pytest.raises(UnknownFilm):
        demo_service.what_if(user, {999_999: 4.0})
    with pytest.raises(CineSyncError):
        demo_service.what_if(user, {demo_service.catalogue().films[0].id: 7})
