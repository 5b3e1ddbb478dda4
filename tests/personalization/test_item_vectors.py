"""The personal term's film vectors: collaborative factors beside the content, versioned."""

from __future__ import annotations

import numpy as np
import pytest

from personalization.config import ModelSettings
from personalization.core.base_models import Ratings
from personalization.core.catalogue import Catalogue, Film
from personalization.core.ensemble import PERSONAL, Scorer
from personalization.core.item_vectors import ItemVectors, published_state
from personalization.core.user_model import OnlineUserModel, UserModel

DIM = 32
# Every film has the same genre and year: the content says nothing. Users 1-20 rate films 1-10,
# users 21-40 films 11-20: the co-ratings say everything.
FILMS = [Film(i, f"Film {i}", 2000, ("Drama",)) for i in range(1, 31)]


def _ratings() -> Ratings:
    rows = [(u, f) for u in range(1, 21) for f in range(1, 11) if (u + f) % 3] + [
        (u, f) for u in range(21, 41) for f in range(11, 21) if (u + f) % 3
    ]
    users, films = (np.array(c, np.int64) for c in zip(*rows))
    return Ratings(users, films, np.full(len(rows), 5.0, np.float32))


@pytest.fixture
def catalogue() -> Catalogue:
    return Catalogue.build(FILMS, DIM)


def _vectors(catalogue: Catalogue, **kw) -> ItemVectors:
    return ItemVectors(catalogue.ids, catalogue.matrix, factors=4, **kw)


def test_before_any_fit_the_vectors_are_the_content_part(catalogue):
    iv = _vectors(catalogue)
    assert iv.version == 0
    assert np.allclose(iv.matrix, iv.content_part)
    assert np.allclose(iv.matrix @ catalogue.matrix[0], iv.scores(catalogue.matrix[0]))


def test_fit_is_deterministic_versioned_and_separates_the_parts(catalogue):
    a, b = _vectors(catalogue).fit(_ratings()), _vectors(catalogue).fit(_ratings())
    assert a.version == 1 and np.array_equal(a.matrix, b.matrix)
    # the collaborative part lies in R's columns, the content part in their complement
    assert np.allclose(a.basis.T @ a.basis, np.eye(a.factors), atol=1e-6)
    assert np.allclose(a.content_part @ a.basis, 0.0, atol=1e-5)
    m = a.matrix.astype(np.float64)
    expected = a.collab @ a.collab.T + a.content_part.astype(np.float64) @ a.content_part.T
    assert np.allclose(m @ m.T, expected, atol=1e-4)
    # films nobody rated (21-30) keep their content part alone
    assert np.allclose(m[20:], a.content_part[20:], atol=1e-6)
    u = np.random.default_rng(0).standard_normal(DIM).astype(np.float32)
    assert np.allclose(a.scores(u), m @ u, atol=1e-5)
    a.refit()
    assert a.version == 2


def test_the_taste_vector_learns_what_the_content_cannot(catalogue):
    iv = _vectors(catalogue).fit(_ratings())
    rule = UserModel(DIM)
    users = OnlineUserModel(rule, lambda f: iv.vector(catalogue.position(f)))
    for film in (1, 2, 3):
        users.learn_one(99, film, 1.0)
    scores = iv.scores(users.vector(99))
    same, other = scores[3:10], scores[10:20]  # films 4-10 vs films 11-20
    assert same.min() > other.max()


def test_a_new_version_rebuilds_the_stored_taste_vector(catalogue):
    iv = _vectors(catalogue)
    rule = UserModel(DIM)
    users = OnlineUserModel(rule, lambda f: iv.vector(catalogue.position(f)))
    users.version = lambda: iv.version
    for film, s in ((1, 1.0), (12, -0.5), (2, 0.8)):
        users.learn_one(7, film, s)
    before = users.vector(7).copy()
    iv.fit(_ratings())  # version 1: the films' vectors change
    rebuilt = rule.rebuild((iv.vector(catalogue.position(f)), s) for f, s in ((1, 1.0), (12, -0.5), (2, 0.8)))
    assert not np.allclose(before, rebuilt)
    assert np.array_equal(users.vector(7), rebuilt)
    users.learn_one(7, 3, 1.0)  # then steps on from the rebuilt vector
    assert np.array_equal(users.vector(7), rule.step(rebuilt, iv.vector(catalogue.position(3)), 1.0))


def test_the_scorer_uses_the_film_vectors_and_refits_them_when_due(catalogue):
    iv = _vectors(catalogue, refit_every=10)
    iv.min_refit = 10
    scorer = Scorer(catalogue, {}, ModelSettings(dim=DIM), item_vectors=iv)
    u = np.ones(DIM, np.float32) / np.sqrt(DIM)
    assert np.allclose(scorer.terms({}, u, [PERSONAL])[PERSONAL], iv.scores(u))
    assert np.allclose(scorer.film_vector(0), iv.vector(0))
    r = _ratings()
    for i in range(12):
        scorer.learn_one(int(r.users[i]), int(r.films[i]), float(r.stars[i]), background=False)
    assert scorer.vectors_version == 1 and iv.fitted_on == 10
    plain = Scorer(catalogue, {}, ModelSettings(dim=DIM))
    assert plain.vectors_version == 0 and np.array_equal(plain.film_vector(3), catalogue.matrix[3])


def test_a_published_state_rebuilds_the_same_vectors_over_a_larger_catalogue(catalogue):
    iv = _vectors(catalogue).fit(_ratings())
    state = published_state(_ratings(), iv.factors)
    assert set(state["films"].tolist()) == set(range(1, 21))  # only films someone rated
    same = ItemVectors.from_state(catalogue.ids, catalogue.matrix, state, version=7)
    assert same.version == 7 and np.array_equal(same.matrix, iv.matrix)
    assert np.array_equal(ItemVectors.from_state(catalogue.ids, catalogue.matrix, iv.state(), 7).matrix, iv.matrix)
    # a film added after the training (31) keeps its content part; the others their vectors
    grown = Catalogue.build([*FILMS, Film(31, "New", 2000, ("Drama",))], DIM)
    served = ItemVectors.from_state(grown.ids, grown.matrix, state, version=7)
    assert np.allclose(served.vector(grown.position(31)), served.content_part[grown.position(31)])
    assert np.allclose(served.collab[:20], iv.collab[:20])
    # a served space never moves: no log, no refit, whatever it is fed
    for u in range(100):
        served.learn_one(u, 1, 5.0)
    assert not served.stale and len(served.log) == 0
    served.refit()
    assert served.version == 7


def test_published_vectors_fitted_under_another_dim_are_refused(catalogue):
    state = published_state(_ratings(), 16)
    small = Catalogue.build(FILMS, 16)  # dim 16 allows 8 factors
    with pytest.raises(ValueError, match="factors"):
        ItemVectors.from_state(small.ids, small.matrix, state, version=1)


def test_film_factors_switches_the_collaborative_vectors(catalogue):
    from personalization.core.ensemble import make_item_vectors

    assert make_item_vectors(catalogue, ModelSettings(dim=DIM, film_factors=0)) is None
    iv = make_item_vectors(catalogue, ModelSettings(dim=DIM, film_factors=64))
    assert iv is not None and iv.factors == DIM // 2  # at most half the dimension
    scorer = Scorer(catalogue, {}, ModelSettings(dim=DIM), item_vectors=None)
    assert np.array_equal(scorer.film_vector(2), catalogue.matrix[2])  # off: the content vectors
