"""Reasons are true of the scores and the history they are given (issue 16, item 10)."""

import pytest

from personalization.core.catalogue import Catalogue, Film
from personalization.core.ranker import ScoredFilm
from personalization.service import explain


@pytest.fixture(scope="module")
def cat():
    return Catalogue.build(
        [
            Film(1, "Alien", 1979, ("Horror", "Sci-Fi")),
            Film(2, "Aliens", 1986, ("Horror", "Sci-Fi")),
            Film(3, "Amelie", 2001, ("Comedy", "Romance")),
        ],
        dim=64,
    )


def test_a_pick_scored_zero_claims_no_reason():
    item = ScoredFilm(3, 0.0, 0.0, 0.0)
    for personalised in (False, True):
        why = explain.reason(item, personalised=personalised, has_history=True)
        assert why == explain.NO_SIGNAL and "popular" not in why and "rate well" not in why


def test_base_reasons_name_no_models():
    why = explain.reason(ScoredFilm(3, 0.8, 0.0, 0.8), personalised=False, has_history=False)
    assert why == explain.POPULAR
    why = explain.reason(ScoredFilm(3, 0.8, 0.1, 0.9), personalised=True, has_history=True)
    assert why == explain.LIKED_BY_OTHERS and "+" not in why and "(" not in why


def test_personal_picks_name_the_liked_film_they_resemble(cat):
    items = [ScoredFilm(2, 0.9, 1.0, 0.5), ScoredFilm(3, 0.6, 0.2, 0.9)]
    why = explain.reasons(cat, items, {1: 5.0}, personalised=True)
    assert why[0] == "because you liked Alien (1979)"
    assert why[1] == explain.LIKED_BY_OTHERS


def test_no_liked_film_means_no_because(cat):
    items = [ScoredFilm(2, 0.9, 1.0, 0.5)]
    assert explain.reasons(cat, items, {1: 2.0}, personalised=True) == [explain.TASTE]
