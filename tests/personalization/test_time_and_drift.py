"""Time awareness and drift in the pure core: recency-weighted profiles, the half-life of the
taste vector (rebuild == the online steps), and drift detection (issue 14)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from personalization.core import drift
from personalization.core.preferences import CommunityStats, PreferenceProfile, RatedFilm, analyse
from personalization.core.user_model import DAY, OnlineUserModel, UserModel, age_weight, is_valid_vector

COMMUNITY = CommunityStats(3.5, 1.0, 4)


def switcher(n_old: int = 40, n_new: int = 12) -> list[RatedFilm]:
    """Loved comedies for a year, then (in the last weeks) loves horror and dislikes westerns."""
    films = []
    for i in range(n_old):
        comedy = i % 4 != 3
        films.append(RatedFilm(i, 5.0 if comedy else 2.5, ("Comedy",) if comedy else ("Drama",), at=i * 10 * DAY))
    start = n_old * 10 * DAY
    for j in range(n_new):
        horror = j % 2 == 0
        films.append(
            RatedFilm(100 + j, 5.0 if horror else 1.5, ("Horror",) if horror else ("Western",), at=start + j * DAY)
        )
    return films


def stable(n: int = 42) -> list[RatedFilm]:
    genres = [("Comedy",), ("Drama",), ("Horror",), ("Comedy", "Drama")]
    return [RatedFilm(i, [5.0, 3.0, 2.0, 4.0][i % 4], genres[i % 4], at=i * 5 * DAY) for i in range(n)]


def top_genre(profile: PreferenceProfile) -> str:
    return profile.genres[0].name


def test_a_short_half_life_moves_the_profile_towards_recent_ratings():
    films = switcher()
    off = analyse(1, films, COMMUNITY)
    short = analyse(1, films, COMMUNITY, half_life_days=14)
    assert top_genre(off) == "Comedy"  # a year of comedies outweighs a few weeks of horror
    assert top_genre(short) == "Horror"
    assert short.half_life_days == 14 and off.half_life_days == 0
    # what does not depend on the favourites is the same
    assert (short.mean_rating, short.style, short.distribution) == (off.mean_rating, off.style, off.distribution)


def test_half_life_off_or_without_times_is_the_unweighted_profile():
    films = switcher()
    untimed = [f._replace(at=None) for f in films]
    off = analyse(1, films, COMMUNITY)
    assert analyse(1, untimed, COMMUNITY, half_life_days=14).genres == off.genres
    assert analyse(1, untimed, COMMUNITY).genres == off.genres
    # a very long half-life is (nearly) the unweighted ranking
    long = analyse(1, films, COMMUNITY, half_life_days=1e6)
    assert [g.name for g in long.genres] == [g.name for g in off.genres]


def test_drift_is_detected_on_a_switch_and_not_on_a_stable_user():
    moved = analyse(1, switcher(), COMMUNITY).drift
    kept = analyse(2, stable(), COMMUNITY).drift
    assert moved is not None and moved.drifting and moved.rising[0] == "Horror"
    assert moved.divergence is not None and moved.divergence >= drift.JS_DRIFT
    assert kept is not None and kept.status == "stable"
    assert analyse(3, switcher()[:15], COMMUNITY).drift == drift.Drift("unknown", recent_n=10, long_term_n=5)
    # without times the order is not known: no verdict at all
    assert analyse(1, [f._replace(at=None) for f in switcher()], COMMUNITY).drift is None


def test_drift_does_not_depend_on_the_order_films_are_given_in():
    films = switcher()
    assert analyse(1, films[::-1], COMMUNITY).drift == analyse(1, films, COMMUNITY).drift


def test_drift_with_content_vectors_and_the_measures():
    p = {"a": 0.5, "b": 0.5}
    assert drift.jensen_shannon(p, p) == 0.0
    assert drift.jensen_shannon({"a": 1.0}, {"b": 1.0}) == 1.0
    assert drift.cosine(np.zeros(3), np.ones(3)) is None
    films = [(("X",), 5.0)] * 10 + [(("X",), 1.0)] * 10
    vecs = [np.array([1.0, 0.0])] * 10 + [np.array([0.0, 1.0])] * 10
    d = drift.detect(films, vectors=vecs)
    assert d.cosine is not None and abs(d.cosine) < 1e-9  # orthogonal content
    assert d.divergence == 0.0 and d.status == "stable"  # same genres watched


def test_profile_with_drift_round_trips_through_its_dict():
    profile = analyse(1, switcher(), COMMUNITY, half_life_days=30)
    again = PreferenceProfile.from_dict(profile.to_dict())
    assert again == profile and isinstance(again.drift, drift.Drift)
    old = profile.to_dict()
    del old["drift"], old["half_life_days"]  # a profile stored before this change
    assert PreferenceProfile.from_dict(old).drift is None


def unit(rng: np.random.Generator, dim: int = 8) -> np.ndarray:
    v = rng.normal(size=dim).astype(np.float32)
    return v / np.linalg.norm(v)


def test_rebuild_equals_the_online_steps_with_the_half_life_on_and_off():
    rng = np.random.default_rng(3)
    items = {f: unit(rng) for f in range(12)}
    times = np.cumsum(rng.uniform(0, 20 * DAY, 12))
    strengths = rng.choice([-1.0, -0.5, 0.5, 1.0], 12)
    for h in (0.0, 7.0):
        rule = UserModel(dim=8, half_life_days=h)
        online = OnlineUserModel(rule, items.__getitem__)
        for f in range(12):
            online.learn_one(1, f, float(strengths[f]), at=float(times[f]))
        rebuilt = rule.rebuild((items[f], float(strengths[f]), float(times[f])) for f in range(12))
        np.testing.assert_allclose(online.vector(1), rebuilt, atol=1e-6)
        if h == 0.0:  # off: times are ignored, the seed's fold exactly
            np.testing.assert_array_equal(rebuilt, rule.rebuild((items[f], float(strengths[f])) for f in range(12)))
    # a re-rated film is replaced and the fold keeps the others' times
    rule = UserModel(dim=8, half_life_days=7.0)
    online = OnlineUserModel(rule, items.__getitem__)
    for f in range(5):
        online.learn_one(1, f, 1.0, at=f * DAY)
    online.learn_one(1, 2, -1.0, at=9 * DAY)
    expected = rule.rebuild(
        [(items[0], 1.0, 0.0), (items[1], 1.0, DAY), (items[3], 1.0, 3 * DAY)]
        + [(items[4], 1.0, 4 * DAY), (items[2], -1.0, 9 * DAY)]
    )
    np.testing.assert_allclose(online.vector(1), expected, atol=1e-6)


def test_a_short_half_life_makes_the_vector_follow_the_latest_film():
    a, b = np.eye(8, dtype=np.float32)[0], np.eye(8, dtype=np.float32)[1]
    events = [(a, 1.0, 0.0)] * 5 + [(b, 1.0, 60 * DAY)]
    off = UserModel(dim=8).rebuild(events)
    on = UserModel(dim=8, half_life_days=3).rebuild(events)
    assert off[0] > off[1]  # five old loves outweigh one new
    assert on[1] > on[0]  # twenty half-lives later, the new one leads


@settings(max_examples=200, deadline=None)
@given(
    age=st.floats(allow_nan=True, allow_infinity=True),
    h=st.floats(allow_nan=True, allow_infinity=True),
)
def test_age_weights_are_finite_and_in_0_1(age, h):
    w = age_weight(age, h)
    assert math.isfinite(w) and 0.0 <= w <= 1.0


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.floats(0, 1e12), min_size=1, max_size=12),
    h=st.sampled_from([0.0, 1e-6, 0.5, 30.0, 1e9]),
    stars=st.lists(st.sampled_from([0.5, 1.0, 2.5, 3.0, 4.5, 5.0]), min_size=12, max_size=12),
)
def test_weighted_vectors_and_profiles_stay_finite(gaps, h, stars):
    times = np.cumsum(gaps).tolist()
    rng = np.random.default_rng(0)
    rule = UserModel(dim=8, half_life_days=h)
    events = [(unit(rng), (s - 3.0) / 2.0, t) for s, t in zip(stars, times)]
    assert is_valid_vector(rule.rebuild(events), 8)
    films = [RatedFilm(i, s, (("A", "B", "C")[i % 3],), ("D",), at=t) for i, (s, t) in enumerate(zip(stars, times))]
    profile = analyse(1, films, COMMUNITY, half_life_days=h)
    for f in profile.genres + profile.directors:
        assert math.isfinite(f.significance) and math.isfinite(f.mean) and f.significance > 0
