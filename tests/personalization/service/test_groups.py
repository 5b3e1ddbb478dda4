"""Watch parties (``Service.group_recommend``, ``cinesync group``) on users with opposite tastes,
and the strategies of ``core.group`` on hand-made likings."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from personalization.core import group
from personalization.errors import CineSyncError, UnknownUser

HORROR_FAN, ROMANCE_FAN, NEWCOMER = 910_001, 910_002, 910_003


def only(cat, genre: str, avoid: str, n: int) -> list[int]:
    return [f.id for f in cat.films if genre in f.genres and avoid not in f.genres][:n]


@pytest.fixture
def opposites(demo_service):
    """One member loves Horror and hates Romance, the other the reverse (8 films each way)."""
    cat = demo_service.catalogue()
    horror, romance = only(cat, "Horror", "Romance", 8), only(cat, "Romance", "Horror", 8)
    assert len(horror) == len(romance) == 8
    for film in horror:
        demo_service.rate(HORROR_FAN, film, 5)
        demo_service.rate(ROMANCE_FAN, film, 1)
    for film in romance:
        demo_service.rate(HORROR_FAN, film, 1)
        demo_service.rate(ROMANCE_FAN, film, 5)
    return demo_service, horror, romance


# -- the strategies, pure ---------------------------------------------------------------------------
def test_strategies_differ_as_documented():
    # film 0: two members love it, one would hate it; film 1: everyone likes it a little;
    # film 2: fine for two, loved by one
    likings = np.array([[5.0, 3.6, 3.0], [5.0, 3.6, 3.0], [1.5, 3.6, 4.4]])
    ids = np.array([10, 11, 12])
    assert group.rank(likings, ids, "average", 3).tolist() == [0, 1, 2]  # the mean: the divisive film wins
    assert group.rank(likings, ids, "least_misery", 3).tolist() == [1, 2]  # the hated film is never proposed
    assert group.rank(likings, ids, "approval", 3).tolist() == [1, 0, 2]  # most members liking it first
    scores, allowed = group.group_scores(likings, "approval")
    assert scores.tolist() == [2.0, 3.0, 1.0] and allowed.all()


@pytest.mark.parametrize("seed", range(20))
def test_least_misery_vetoes_and_the_others_follow_their_rule_on_random_groups(seed):
    rng = np.random.default_rng(seed)
    likings = rng.uniform(0.5, 5.0, size=(int(rng.integers(2, 7)), 60)).round(1)
    ids = np.arange(100, 160)
    lm = group.rank(likings, ids, "least_misery", 10)
    assert (likings[:, lm].min(axis=0) >= group.HATE_STARS).all()
    safe = np.flatnonzero(likings.min(axis=0) >= group.HATE_STARS)
    assert len(lm) == min(10, len(safe))  # every safe film competes; only hated ones are dropped
    avg = group.rank(likings, ids, "average", 10)
    assert np.all(np.diff(likings[:, avg].mean(axis=0)) <= 1e-9)  # best mean first
    appr = group.rank(likings, ids, "approval", 10)
    counts = (likings[:, appr] >= group.LIKE_STARS).sum(axis=0)
    assert np.all(np.diff(counts) <= 0) and counts[0] == (likings >= group.LIKE_STARS).sum(axis=0).max()


def test_calibration_maps_scores_to_the_members_own_stars():
    c = group.calibrate([0.9, 0.7, -0.6, -0.8], [5, 5, 1, 1])
    low, mid, high = c.stars(np.array([-0.7, 0.05, 0.8]))
    assert low < group.HATE_STARS < mid < group.LIKE_STARS < high
    assert not group.calibrate([0.5, -0.5], [1, 5]).personal  # a falling line is not trusted: flat
    assert group.calibrate([], []).mean == 3.0 and group.calibrate([0.1], [4]).stars(np.array([9.0]))[0] == 4.0


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"user_ids": [HORROR_FAN]}, "at least 2 different members, got 1"),
        ({"user_ids": [HORROR_FAN, HORROR_FAN]}, "at least 2 different members, got 1"),
        ({"user_ids": "12"}, "a list of user ids"),
        ({"user_ids": [HORROR_FAN, ROMANCE_FAN], "strategy": "dictator"}, "average, least_misery, approval"),
        ({"user_ids": [HORROR_FAN, ROMANCE_FAN], "mood": "grumpy"}, "uplifting, dark, thrilling, cozy"),
    ],
)
def test_bad_groups_are_clear_errors(demo_service, bad, says):
    with pytest.raises(CineSyncError, match=says):  # checked before any member is read
        demo_service.group_recommend(**bad)


def test_an_unknown_member_is_named(demo_service):
    with pytest.raises(UnknownUser, match="999999999"):
        demo_service.group_recommend([1, 999_999_999])


# -- on the service ---------------------------------------------------------------------------------
def test_least_misery_never_proposes_a_film_a_member_would_hate(opposites):
    svc, horror, romance = opposites
    cat = svc.catalogue()
    picks = svc.group_recommend([HORROR_FAN, ROMANCE_FAN], 30, strategy="least_misery")
    assert len(picks.items) == 30 and picks.no_taste == []
    for p in picks.items:
        assert min(p.likings.values()) >= group.HATE_STARS and not p.hated_by
        assert p.film.id not in horror + romance  # nobody in the group has seen it
        assert p.score == pytest.approx(min(p.likings.values()))
    # the predictions follow each member's taste: a horror film delights one and repels the other
    everyone = svc.group_recommend([HORROR_FAN, ROMANCE_FAN], 100, strategy="average")
    scary = [p for p in everyone.items if "Horror" in p.film.genres and "Romance" not in p.film.genres]
    assert scary and all(p.likings[HORROR_FAN] > p.likings[ROMANCE_FAN] for p in scary)
    hated = [p for p in everyone.items if p.hated_by]
    assert hated, "average has no veto: some of its picks are hated by one member"
    assert {p.film.id for p in hated}.isdisjoint(p.film.id for p in picks.items)
    assert cat.get(hated[0].film.id) is not None


def test_group_of_three_with_a_newcomer_and_a_mood(opposites):
    svc = opposites[0]
    svc.feedback(NEWCOMER, 1, "like")  # known, but no taste to speak of yet
    picks = svc.group_recommend([ROMANCE_FAN, HORROR_FAN, NEWCOMER], 5, strategy="approval", mood="Romantic")
    assert picks.mood == "romantic" and picks.user_ids == [ROMANCE_FAN, HORROR_FAN, NEWCOMER]
    assert NEWCOMER in picks.no_taste and 1 not in {p.film.id for p in picks.items}
    assert all("Romance" in p.film.genres for p in picks.items)
    assert [p.score for p in picks.items] == sorted((p.score for p in picks.items), reverse=True)
    assert all(p.score == len(p.liked_by) for p in picks.items)


# -- cinesync group -------------------------------------------------------------------------------
def test_cli_group_json_and_text(opposites, demo_db_url, tmp_path, monkeypatch):
    from personalization.cli import main
    from personalization.cli.group import MOODS, STRATEGIES
    from personalization.core.moods import MOODS as CORE_MOODS

    assert STRATEGIES == group.STRATEGIES and list(MOODS) == list(CORE_MOODS)
    monkeypatch.setenv("CINESYNC_DATABASE_URL", demo_db_url)
    monkeypatch.setenv("CINESYNC_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    out = runner.invoke(main, ["group", str(HORROR_FAN), str(ROMANCE_FAN), "-k", "3", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["strategy"] == "least_misery" and data["user_ids"] == [HORROR_FAN, ROMANCE_FAN]
    assert data["scale"] == "predicted stars, 0.5-5" and data["hate_below"] == 2.0 and data["mood"] is None
    assert len(data["items"]) == 3
    item = data["items"][0]
    assert set(item) == {"film", "score", "likings", "liked_by", "hated_by"}
    assert set(item["likings"]) == {str(HORROR_FAN), str(ROMANCE_FAN)} and item["hated_by"] == []
    assert {"id", "title", "year", "genres"} <= set(item["film"])

    text = runner.invoke(main, ["group", str(HORROR_FAN), str(ROMANCE_FAN), "-k", "2", "--strategy", "average"])
    assert text.exit_code == 0 and "watch party of 2 members" in text.output and "average" in text.output
    assert len([line for line in text.output.splitlines() if line.strip().startswith(("1 ", "2 "))]) == 2

    alone = runner.invoke(main, ["group", str(HORROR_FAN)])
    assert alone.exit_code == 2 and "at least 2 different members" in alone.output
    bad = runner.invoke(main, ["group", "1", "2", "--strategy", "dictator"])
    assert bad.exit_code == 2 and "least_misery" in bad.output
