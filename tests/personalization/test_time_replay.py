"""The replay's time options (issue 14): the half-life, the context re-rank, the reaction to
drift, time variants scored side by side, and `cinesync replay --half-life ...`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from personalization.cli.evaluation import replay_command
from personalization.config import ModelSettings
from personalization.core.base_models import Ratings
from personalization.core.catalogue import Film
from personalization.data import synthetic
from personalization.evaluation.replay import Stream, run_replay
from personalization.evaluation.time_variants import TimeVariant

DAY = 86_400.0


@pytest.fixture(scope="module")
def switch_stream() -> Stream:
    """20 users: 25 comedies loved, then 15 horror films loved (one rating a day)."""
    films = [Film(i, f"C{i}", 2000, ("Comedy",), (), ()) for i in range(1, 61)]
    films += [Film(i, f"H{i}", 2000, ("Horror",), (), ()) for i in range(61, 121)]
    rng = np.random.default_rng(0)
    rows = []
    for u in range(1, 21):
        comedies = rng.choice(np.arange(1, 61), 25, replace=False)
        horrors = rng.choice(np.arange(61, 121), 15, replace=False)
        for j, f in enumerate([*comedies, *horrors]):
            rows.append((u, int(f), 5.0 if j < 25 or f > 60 else 2.0, 1_600_000_000 + (j * 20 + u) * DAY / 20))
    rows.sort(key=lambda r: r[3])
    users, items, stars, ts = (np.array(c) for c in zip(*rows))
    return Stream(Ratings(users, items, stars.astype(np.float32), ts.astype(np.float64)), films, "switch")


def test_an_off_variant_ranks_exactly_as_the_replay_itself(switch_stream):
    trace: list = []
    run_replay(switch_stream, models=["personal", "blend"], variants=[TimeVariant("off")], trace=trace)
    assert trace
    for _, ranks in trace:
        assert ranks["personal[off]"] == ranks["personal"] and ranks["blend[off]"] == ranks["blend"]


def test_half_life_setting_and_variant_agree_and_change_the_personal_term(switch_stream):
    on: list = []
    run_replay(switch_stream, models=["personal"], settings=ModelSettings(half_life_days=2.0), trace=on)
    side: list = []
    report = run_replay(
        switch_stream, models=["personal"], variants=[TimeVariant("h2", 2.0, with_blend=False)], trace=side
    )
    assert [r["personal"] for _, r in on] == [r["personal[h2]"] for _, r in side]
    assert [r["personal"] for _, r in side] != [r["personal[h2]"] for _, r in side]  # the half-life did something
    assert {r.model for r in report.results} == {"personal", "personal[h2]"}
    assert report.protocol["half_life_days"] == 0.0


def test_drift_flags_mark_the_switched_users_and_the_reaction_runs(switch_stream):
    flags: list = []
    report = run_replay(switch_stream, models=["personal"], drift_half_life_days=1.0, drift_flags=flags)
    assert len(flags) == report.protocol["evaluated"]
    # every user switches after 25 ratings: drift is seen once 10 horror films are in
    assert any(flags) and not all(flags)
    assert report.protocol["drift_half_life_days"] == 1.0
    with pytest.raises(ValueError, match="drift_half_life_days"):
        run_replay(switch_stream, models=["personal"], drift_half_life_days=-1.0)


def test_context_re_rank_changes_only_the_blends(switch_stream):
    plain: list = []
    run_replay(switch_stream, models=["personal", "blend"], trace=plain)
    ctx: list = []
    report = run_replay(
        switch_stream, models=["personal", "blend"], settings=ModelSettings(context_weight=0.5), trace=ctx
    )
    assert [r["personal"] for _, r in plain] == [r["personal"] for _, r in ctx]
    assert [r["blend"] for _, r in plain] != [r["blend"] for _, r in ctx]
    assert report.protocol["context_weight"] == 0.5


def test_cli_replay_time_options(tmp_path):
    data = synthetic.generate(n_users=40, n_films=150, mean_ratings=25, seed=5)
    synthetic.write_movielens(data, tmp_path)
    args = [str(tmp_path), "--every", "4", "--no-progress", "--models", "personal"]
    out = CliRunner().invoke(replay_command, [*args, "--half-life", "30", "--drift-half-life", "7"])
    assert out.exit_code == 0, out.output
    assert "time: half-life 30 days, context weight 0, drift half-life 7 days;" in out.output
    assert "evaluated events were by a drifting user" in out.output
    doc = json.loads(CliRunner().invoke(replay_command, [*args, "--json", "--context-weight", "0.1"]).output)
    assert doc["protocol"]["context_weight"] == 0.1 and doc["protocol"]["half_life_days"] == 0.0
    bad = CliRunner().invoke(replay_command, [*args, "--half-life", "-3"])
    assert bad.exit_code == 2 and "--half-life" in bad.output
