"""Onboarding (issue 14): a new member's first cards split opinion, differ, adapt, respect genres."""

from __future__ import annotations

import numpy as np
import pytest

from personalization.core import onboarding
from personalization.core.onboarding import OpinionStats, Params, choose
from personalization.errors import CineSyncError


def _catalogue(n: int = 60, dim: int = 16, seed: int = 3):
    """Films in six content clusters (genre g{k}); film i+1 is at position i."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, dim))
    cluster = np.arange(n) % 6
    matrix = centres[cluster] + 0.2 * rng.normal(size=(n, dim))
    matrix = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)
    ids = np.arange(1, n + 1, dtype=np.int64)
    genres = [(f"g{c}",) for c in cluster]
    return ids, genres, matrix, cluster


def _stats(ids: np.ndarray, rng_seed: int = 5, splits=lambda f: f % 4 == 0) -> OpinionStats:
    """Film popularity falls with the id; films whose id is divisible by 4 split opinion (a third
    each 1, 3 and 5 stars), the others are liked by everybody."""
    rng = np.random.default_rng(rng_seed)
    films, stars = [], []
    for f in ids.tolist():
        n = max(12, 200 - 3 * f)
        films += [f] * n
        stars += (rng.choice([1.0, 3.0, 5.0], n) if splits(f) else rng.choice([4.0, 4.5, 5.0], n)).tolist()
    return OpinionStats.from_ratings(np.array(films), np.array(stars))


def test_stats_from_rows_equal_stats_from_ratings():
    a = OpinionStats.from_ratings(np.array([3, 1, 3, 3]), np.array([1.0, 4.0, 3.0, 5.0]))
    b = OpinionStats.from_rows([(3, 1, 1, 1), (1, 0, 0, 1)])
    assert a.film_ids.tolist() == b.film_ids.tolist() == [1, 3]
    assert a.bins.tolist() == b.bins.tolist() == [[0, 0, 1], [1, 1, 1]]
    assert a.split().round(6).tolist() == [0.0, 1.0]


def test_informative_cards_are_unrated_split_opinion_and_diverse():
    ids, genres, matrix, cluster = _catalogue()
    stats = _stats(ids)
    excluded = np.zeros(len(ids), bool)
    excluded[[3, 7]] = True  # films 4 and 8: rated already (both split opinion, both popular)
    cards = choose(ids, genres, matrix, stats, 6, excluded=excluded, strategy="informative")
    popular = choose(ids, genres, matrix, stats, 6, excluded=excluded, strategy="popular")
    assert len(cards) == 6 and not set(cards) & {3, 7}
    _, split = stats.aligned(ids)
    # the first five split opinion (the sixth may come from an uncovered cluster instead)
    assert all(split[p] > 0.9 and ids[p] % 4 == 0 for p in cards[:5])
    assert split[popular].mean() < 0.5  # the popular ones mostly agree
    # diverse: when the most divisive films crowd one cluster (0), the cards still spread out
    crowded = _stats(ids, splits=lambda f: (f - 1) % 6 == 0 or f % 7 == 0)
    spread = choose(ids, genres, matrix, crowded, 3)  # the default diversity
    by_value = choose(ids, genres, matrix, crowded, 3, params=Params(diversity=0.0))
    assert cluster[by_value].tolist() == [0, 0, 0]
    assert len(set(cluster[spread])) == 3


def test_next_cards_move_away_from_answered_films():
    ids, genres, matrix, cluster = _catalogue()
    stats = _stats(ids)
    explore = Params(taste=0.0, diversity=0.5)  # no pull towards liked films: pure exploration
    first = choose(ids, genres, matrix, stats, 1, params=explore)[0]
    excluded = np.zeros(len(ids), bool)
    excluded[first] = True
    for stars in (5.0, 1.0):
        answers = {int(ids[first]): stars}
        nxt = choose(ids, genres, matrix, stats, 3, excluded=excluded, answers=answers, params=explore)
        assert first not in nxt
        assert cluster[first] not in set(cluster[nxt])  # the answered film's cluster is skipped for now
    # the default also leans towards what the answers liked: after a loved film, its cluster
    # comes back first; after a hated one, it stays away
    loved = choose(ids, genres, matrix, stats, 1, excluded=excluded, answers={int(ids[first]): 5.0})
    hated = choose(ids, genres, matrix, stats, 2, excluded=excluded, answers={int(ids[first]): 1.0})
    assert cluster[loved[0]] == cluster[first]
    assert cluster[first] not in set(cluster[hated])


def test_taste_pulls_towards_liked_films():
    ids, genres, matrix, cluster = _catalogue()
    stats = _stats(ids)
    answers = {4: 5.0}  # film 4 (cluster 3) loved
    excluded = np.zeros(len(ids), bool)
    excluded[3] = True
    pulled = choose(ids, genres, matrix, stats, 1, excluded=excluded, answers=answers, params=Params(taste=5.0))
    free = choose(ids, genres, matrix, stats, 1, excluded=excluded, answers=answers, params=Params(taste=0.0))
    assert cluster[pulled[0]] == cluster[3] != cluster[free[0]]


def test_genres_first_then_the_rest():
    ids, genres, matrix, cluster = _catalogue()
    stats = _stats(ids)
    first = cluster == 2  # ten films
    for strategy in onboarding.STRATEGIES:
        cards = choose(ids, genres, matrix, stats, 12, first=first, strategy=strategy)
        assert len(cards) == 12 and len(set(cards)) == 12
        assert all(cluster[p] == 2 for p in cards[:10]) and all(cluster[p] != 2 for p in cards[10:])


def test_unknown_strategy_and_nothing_left():
    ids, genres, matrix, _ = _catalogue(6)
    stats = _stats(ids)
    with pytest.raises(ValueError, match="popular, informative"):
        choose(ids, genres, matrix, stats, 2, strategy="random")
    assert choose(ids, genres, matrix, stats, 3, excluded=np.ones(6, bool)) == []
    # a catalogue nobody rated: the cards still come (most rated first = by id)
    empty = OpinionStats.from_rows([])
    assert len(choose(ids, genres, matrix, empty, 3)) == 3


# -- through the service --------------------------------------------------------------------------
def test_films_to_rate_unrated_and_adapts(demo_service):
    svc = demo_service
    user = svc.users("", 1)[0]["id"]
    rated, _ = svc.history(user)
    cards = svc.films_to_rate(user, 5)
    assert len(cards) == 5 and not {f.id for f in cards} & set(rated)
    new = 987_654_321  # a new member: answers the first card, the next ones change
    first = svc.films_to_rate(new, 3)
    svc.rate(new, first[0].id, 5)
    after = svc.films_to_rate(new, 3)
    assert first[0].id not in {f.id for f in after}
    skipped = [f.id for f in after[:2]]
    assert not set(skipped) & {f.id for f in svc.films_to_rate(new, 3, exclude=skipped)}


def test_films_to_rate_genres_first(demo_service):
    svc = demo_service
    cards = svc.films_to_rate(55, 6, genres=["Horror", "war"])
    assert cards and all({"Horror", "War"} & set(f.genres) for f in cards)


def test_unknown_genre_lists_the_known_ones(demo_service):
    with pytest.raises(CineSyncError, match=r"unknown genre 'Cooking'.*Comedy.*Drama"):
        demo_service.films_to_rate(55, 3, genres=["Drama", "Cooking"])


# -- the CLI ---------------------------------------------------------------------------------------
def test_cli_onboard(demo_db_url, tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from personalization.cli import main

    monkeypatch.setenv("CINESYNC_DATABASE_URL", demo_db_url)
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    r = runner.invoke(main, ["onboard", "4242", "-n", "3", "--genres", "Horror,War", "--json"])
    assert r.exit_code == 0, r.output
    cards = json.loads(r.output)
    assert len(cards) == 3 and all({"Horror", "War"} & set(c["genres"]) for c in cards)
    text = runner.invoke(main, ["onboard", "4242", "-n", "3"])
    assert text.exit_code == 0 and "cinesync rate 4242 FILM STARS" in text.output and "  1. " in text.output
    bad = runner.invoke(main, ["onboard", "4242", "--genres", "Cooking"])
    assert bad.exit_code == 2 and "unknown genre 'Cooking'" in bad.output and "Drama" in bad.output
    assert "split opinion" in runner.invoke(main, ["onboard", "--help"]).output


# -- the simulation --------------------------------------------------------------------------------
def test_a_small_simulation_compares_both_strategies():
    from personalization.evaluation.onboarding import Arm, Sizes, compare, format_table

    arms = (
        Arm("popular", "popular"),
        Arm("informative", "informative"),
        Arm("informative + genres", "informative", genres=True),
    )
    outcome = compare([1, 2], arms, Sizes(users=80, films=250, mean_ratings=30, members=4, max_cards=60))
    assert outcome.members == 8 and outcome.seeds == [1, 2]
    for arm in ("popular", "informative"):
        for at in (5, 10):
            assert len(outcome.hits[arm][at]) == 8
            assert all(h in (0.0, 1.0) for h in outcome.hits[arm][at])
            assert all(c >= at for c in outcome.cards[arm][at])  # a skipped card costs a card too
    table = format_table(outcome)
    lines = table.splitlines()
    assert "HR@10 after 5" in lines[2] and "HR@10 after 10" in lines[2]
    assert lines[4].startswith("| popular |") and lines[5].startswith("| informative |")
    assert lines[5].count("±") == 4  # HR and the paired difference, after 5 and after 10
    # the same seed gives the same figures
    again = compare([1], arms[:1], Sizes(users=80, films=250, mean_ratings=30, members=4, max_cards=60))
    assert again.hits["popular"][5] == outcome.hits["popular"][5][:4]
