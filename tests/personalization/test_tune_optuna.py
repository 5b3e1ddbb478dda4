"""``cinesync tune --search optuna``: a seeded study on the time split, on a tiny stream."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys

import pytest
from click.testing import CliRunner

from personalization.cli.evaluation import tune_command
from personalization.config import ModelSettings
from personalization.core.catalogue import Film
from personalization.data import synthetic
from personalization.evaluation.cut import read_tuned
from personalization.evaluation.replay import Stream
from personalization.evaluation.tune_optuna import flat_space, tune_optuna
from personalization.optional import MissingExtra

needs_optuna = pytest.mark.skipif(importlib.util.find_spec("optuna") is None, reason="the [tune] extra")

# A small space (one setting of each stage) keeps each trial one short replay.
SPACE = {
    "knn_neighbours": (20, 50, 100),
    "weight_ease": (0.0, 0.2, 0.6),
    "blend_weight": (0.05, 0.2, 0.4),
    "ensemble_rate": (0.0, 0.5),
}


@pytest.fixture(scope="module")
def stream() -> Stream:
    data = synthetic.generate(n_users=40, n_films=150, mean_ratings=25, seed=4)
    films = [Film(f["id"], f["title"], f["year"], tuple(f["genres"])) for f in data.films]
    return Stream(data.ratings, films, "tiny")


def _params(result) -> list[dict]:
    return [{k: t[k] for k in SPACE} for t in result.trials if t["stage"] == "optuna"]


@needs_optuna
def test_the_same_seed_gives_the_same_trials_and_settings(stream):
    runs = [tune_optuna(stream, trials=4, seed=3, split=0.6, every=3, space=SPACE, report=False) for _ in range(2)]
    assert _params(runs[0]) == _params(runs[1]) and len(_params(runs[0])) == 4
    assert [t["hr@10"] for t in runs[0].trials] == [t["hr@10"] for t in runs[1].trials]
    assert runs[0].chosen == runs[1].chosen
    # the first trial is the defaults on the grid (nearest value of each setting)
    assert _params(runs[0])[0] == {"knn_neighbours": 100, "weight_ease": 0.2, "blend_weight": 0.2, "ensemble_rate": 0.0}
    other = tune_optuna(stream, trials=4, seed=4, split=0.6, every=3, space=SPACE, report=False)
    assert _params(other)[1:] != _params(runs[0])[1:]


@needs_optuna
def test_the_chosen_settings_are_the_best_trial_or_the_defaults(stream):
    messages: list[str] = []
    result = tune_optuna(stream, trials=4, seed=1, split=0.6, every=3, space=SPACE, progress=messages.append)
    start = result.trials[0]
    rows = [t for t in result.trials if t["stage"] == "optuna"]
    assert start["stage"] == "start" and sum(t["chosen"] for t in result.trials) == 1
    best = max(rows, key=lambda t: (t["hr@10"], t["ndcg@10"]))
    if best["hr@10"] > start["hr@10"]:
        chosen = next(t for t in rows if t["chosen"])
        assert (chosen["hr@10"], chosen["ndcg@10"]) == (best["hr@10"], best["ndcg@10"])
        for name in ("knn_neighbours", "ensemble_rate"):
            assert result.chosen.value(name) == chosen[name]
    else:
        assert start["chosen"] and result.chosen == result.defaults
    assert sum(m.startswith("trial ") for m in messages) == 4  # a line per trial
    assert set(result.report) == {"chosen", "defaults"}  # held out, after the cut
    assert all(r["evaluated"] > 0 for r in result.report.values())


@needs_optuna
def test_the_cli_writes_what_settings_apply_installs(tmp_path):
    data = synthetic.generate(n_users=30, n_films=120, mean_ratings=20, seed=5)
    synthetic.write_movielens(data, tmp_path / "ml")
    args = [str(tmp_path / "ml"), "--out", str(tmp_path / "t"), "--search", "optuna", "--trials", "2"]
    out = CliRunner().invoke(tune_command, [*args, "--seed", "5", "--every", "4", "--no-report"])
    assert out.exit_code == 0, out.output
    assert "trial 2/2" in out.output  # CliRunner mixes stderr in
    settings, cut = read_tuned(tmp_path / "t" / "tuned_settings.json")
    assert isinstance(settings, ModelSettings) and cut is not None and cut.split == 0.5
    with open(tmp_path / "t" / "tuning.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["stage"] for r in rows] == ["start", "optuna", "optuna"]
    assert set(flat_space()) <= set(rows[1])  # one column per searched setting
    assert (tmp_path / "t" / "tuning.png").stat().st_size > 0
    assert json.loads((tmp_path / "t" / "tuned_settings.json").read_text())["tuned_on"]["events"] == len(
        data.ratings.users
    )
    grid_only = CliRunner().invoke(tune_command, [str(tmp_path / "ml"), "--trials", "3"])
    assert grid_only.exit_code != 0 and "--search optuna" in grid_only.output


def test_without_optuna_it_says_which_pip_command_to_run(stream, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(MissingExtra, match=r"pip install 'cinesync-personalization\[tune\]'"):
        tune_optuna(stream, trials=1, space=SPACE)
    out = CliRunner().invoke(tune_command, [str(tmp_path), "--search", "optuna"])
    assert out.exit_code != 0 and "cinesync-personalization[tune]" in str(out.exception or out.output)
