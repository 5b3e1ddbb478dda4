"""A/B tests: assignment, variants applied where a member's weights are chosen, exposures with
ranks, outcome rates and verdicts (a simulation with a known better variant finds it)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from personalization.core import experiments as ab
from personalization.core.ensemble import UserWeights
from personalization.errors import CineSyncError

FIRST_NEW_MEMBER = 7_000_000  # ids no demo user has


# -- the pure part ----------------------------------------------------------------------------------
def test_assignment_is_deterministic_balanced_and_differs_between_experiments():
    variants = (ab.Variant("a"), ab.Variant("b"), ab.Variant("c"))
    first = [ab.assign("exp-1", u, variants).name for u in range(9000)]
    assert first == [ab.assign("exp-1", u, variants).name for u in range(9000)]
    counts = Counter(first)
    assert set(counts) == {"a", "b", "c"} and all(2800 < n < 3200 for n in counts.values())
    other = [ab.assign("exp-2", u, variants).name for u in range(9000)]
    agree = sum(x == y for x, y in zip(first, other)) / 9000
    assert 0.28 < agree < 0.39  # independent of the first experiment: about 1/3


def test_variants_are_parsed_and_checked():
    b = ab.parse_variant("b:blend_weight=0.8, weight_ease=0")
    assert b == ab.Variant("b", {"blend_weight": 0.8, "weight_ease": 0.0})
    models = ["popularity", "ease"]
    assert ab.check_variants([ab.Variant("a"), b], models)[1].settings == {"blend_weight": 0.8, "weight_ease": 0.0}
    for bad, words in [
        ([ab.Variant("a")], "at least two"),
        ([ab.Variant("a"), ab.Variant("a")], "must differ"),
        ([ab.Variant("a"), ab.Variant("b", {"dim": 3})], "not a per-member ranking setting"),
        ([ab.Variant("a"), ab.Variant("b", {"blend_weight": 1.5})], "from 0 to 1"),
        ([ab.Variant("a"), ab.Variant("b", {"weight_ease": -1})], "from 0 to 1000"),
        ([ab.Variant("a"), ab.Variant("b", {"weight_ease": 1e308})], "from 0 to 1000"),
        ([ab.Variant("a"), ab.Variant("b")], "same settings"),
        ([ab.Variant("a", {"blend_weight": 0.5}), ab.Variant("b", {"blend_weight": 0.5})], "same settings"),
        ([ab.Variant("a"), ab.Variant("b", {"weight_ease": 0, "weight_popularity": 0})], "above 0"),
        ([ab.Variant("a"), ab.Variant("b c")], "a variant name is"),
    ]:
        with pytest.raises(CineSyncError, match=words):
            ab.check_variants(bad, models)
    with pytest.raises(CineSyncError, match="NAME=VALUE"):
        ab.parse_variant("b:blend_weight")
    with pytest.raises(CineSyncError, match="set twice"):
        ab.parse_variant("b:weight_ease=0.1,weight_ease=0.2")
    with pytest.raises(CineSyncError, match="experiment name"):
        ab.check_name("Has Spaces")


def test_override_replaces_the_personal_weight_and_renormalises_the_base_weights():
    learned = UserWeights(0.3, {"ease": 0.5, "popularity": 0.25, "als": 0.25})
    out = ab.override(learned, {"blend_weight": 0.9, "weight_ease": 0.0})
    assert out.personal_weight == 0.9
    assert out.base_weights == pytest.approx({"ease": 0.0, "popularity": 0.5, "als": 0.5})
    assert ab.override(learned, {}) is learned


def test_wilson_and_newcombe_match_published_values():
    # Newcombe (1998): 81/263 -> Wilson [0.2553, 0.3662]; 56/70 vs 48/80 -> method 10 [0.0524, 0.3339]
    assert ab.wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    ci1, ci2 = ab.wilson(48, 80), ab.wilson(56, 70)
    assert ab.newcombe(48 / 80, ci1, 56 / 70, ci2) == pytest.approx((0.0524, 0.3339), abs=5e-5)


def test_verdicts_say_better_worse_or_how_many_more_exposures():
    e = ab.Experiment(1, "x", (ab.Variant("a"), ab.Variant("b")))
    rows = [("a", u, 10, 3, 2) for u in range(100)] + [("b", u, 10, 5, 4) for u in range(100, 200)]
    better = ab.report(e, rows)
    assert better.comparisons[0].decided and better.verdict.startswith("b is better than a: +20.0 pts")
    worse = ab.report(e, [("a", u, 10, 3, 3) for u in range(100)] + [("b", u, 10, 1, 1) for u in range(100, 200)])
    assert worse.verdict.startswith("b is worse than a: −20.0 pts (liked 10.0% vs 30.0%), 95% CI [−")
    same = ab.report(e, [("a", u, 10, 3, 2) for u in range(20)] + [("b", u, 10, 3, 2) for u in range(20, 40)])
    assert same.verdict.startswith("no clear difference yet between b and a: +0.0 pts")
    assert same.comparisons[0].more_needed and same.comparisons[0].more_needed > 400
    assert "need ~" in same.verdict
    empty = ab.report(e, [("a", 1, 10, 3, 2)])
    assert "no exposures yet for b" in empty.verdict
    acted = ab.report(e, rows, metric="acted")
    assert acted.variants[0].rate == pytest.approx(0.3) and acted.variants[1].rate == pytest.approx(0.5)


# -- through the service ----------------------------------------------------------------------------
def test_a_variants_settings_apply_to_its_members_and_stop_with_the_experiment(demo_service):
    svc = demo_service
    users = [u["id"] for u in svc.users(limit=60)]
    learned = {u: svc.blend_weight(u) for u in users}
    e = svc.create_experiment("blend", ["low:blend_weight=0.05", "high:blend_weight=0.95"])
    assert [v.name for v in e.variants] == ["low", "high"] and e.running
    groups = Counter()
    for u in users:
        variant = ab.assign("blend", u, e.variants)
        groups[variant.name] += 1
        assert svc.blend_weight(u) == pytest.approx(variant.settings["blend_weight"])
        picks = svc.recommend(u, 5)
        if picks.mode == "personal":
            assert picks.blend_weight == pytest.approx(variant.settings["blend_weight"])
    assert groups["low"] and groups["high"]
    with pytest.raises(CineSyncError, match="varies blend_weight too"):
        svc.create_experiment("blend-2", ["a", "b:blend_weight=0.5"])
    with pytest.raises(CineSyncError, match="exists already"):
        svc.create_experiment("blend", ["a", "b:weight_popularity=0"])
    stopped = svc.stop_experiment("blend")
    assert stopped.status == "stopped" and stopped.stopped_at is not None
    assert {u: svc.blend_weight(u) for u in users} == learned
    with pytest.raises(CineSyncError, match="stopped already"):
        svc.stop_experiment("blend")
    listed = svc.experiments()
    assert [x.name for x in listed] == ["blend"] and listed[0].exposures == 5 * len(users)


def test_exposures_are_logged_with_their_ranks_only_during_an_experiment(demo_service):
    svc = demo_service
    member = FIRST_NEW_MEMBER
    svc.recommend(member, 4)  # no experiment running: nothing logged, nothing stored
    with pytest.raises(CineSyncError, match="unknown user"):
        svc.user_data(member)
    svc.create_experiment("ranks", ["a", "b:weight_popularity=2"])
    picks = svc.recommend(member, 4)
    rows = svc.user_data(member)["tables"]["experiment_exposures"]
    variant = ab.assign("ranks", member, svc.experiments()[0].variants).name
    assert [(r["rank"], r["film_id"], r["variant"]) for r in rows] == [
        (i + 1, item.film.id, variant) for i, item in enumerate(picks.items)
    ]
    svc.what_if(member, {picks.items[0].film.id: 5})  # a what-if is not shown: not logged
    svc.recommend(member, 4, shown=False)  # nor a look the member does not see
    svc.stop_experiment("ranks")
    svc.recommend(member, 4)
    assert len(svc.user_data(member)["tables"]["experiment_exposures"]) == 4


def _simulate(svc, name: str, p_like: dict[str, float], members: int, seed: int) -> ab.Report:
    """Members get 5 picks each; each pick is then rated 4-5 stars with the probability of the
    member's variant, or 1-2 stars with probability 0.05 (the same in every variant)."""
    rng = random.Random(seed)
    e = svc.create_experiment(name, ["a", "b:blend_weight=0.6"])
    for i in range(members):
        member = FIRST_NEW_MEMBER + seed * 10_000 + i
        variant = ab.assign(name, member, e.variants).name
        for item in svc.recommend(member, 5).items:
            draw = rng.random()
            if draw < p_like[variant]:
                svc.rate(member, item.film.id, rng.choice([4, 4.5, 5]))
            elif draw < p_like[variant] + 0.05:
                svc.rate(member, item.film.id, rng.choice([1, 2]))
    report = svc.experiment_report(name)
    svc.stop_experiment(name)
    return report


def test_simulation_finds_the_better_variant_and_no_difference_when_there_is_none(demo_service):
    better = _simulate(demo_service, "sim-better", {"a": 0.15, "b": 0.35}, members=160, seed=1)
    assert better.comparisons[0].decided, better.verdict
    assert better.verdict.startswith("b is better than a: +")
    a, b = better.variants
    assert a.shown + b.shown == 160 * 5 and a.members + b.members == 160
    assert abs(a.rate - 0.15) < 0.06 and abs(b.rate - 0.35) < 0.08
    assert b.interval[0] <= b.rate <= b.interval[1]
    same = _simulate(demo_service, "sim-same", {"a": 0.25, "b": 0.25}, members=160, seed=2)
    assert not same.comparisons[0].decided, same.verdict
    assert same.verdict.startswith("no clear difference yet between b and a") and "need ~" in same.verdict
    acted = demo_service.experiment_report("sim-better", metric="acted")
    assert acted.variants[0].rate > better.variants[0].rate  # the low ratings count as acted on


def test_a_failed_exposure_log_still_serves_the_picks(demo_service, monkeypatch, caplog):
    import psycopg

    demo_service.create_experiment("fails", ["a", "b:blend_weight=0.5"])

    def broken(*args, **kwargs):
        raise psycopg.OperationalError("server closed the connection")

    monkeypatch.setattr(demo_service.ab.store, "log_exposures", broken)
    picks = demo_service.recommend(FIRST_NEW_MEMBER + 1, 3)
    assert len(picks.items) == 3
    assert "could not log the A/B exposures" in caplog.text
