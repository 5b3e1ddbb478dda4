"""Studies: one replay per setting, tidy rows; the replay is injected (a stand-in here)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from personalization.analytics import studies
from personalization.config import ModelSettings


def stand_in_replay(calls):
    """The replay contract: (stream, *, models, every, settings, progress, max_events) -> report
    whose .results have model, hr_at_10, ndcg_at_10, evaluated, seconds. Peaks at lr 0.1, w 0.6."""

    def run(stream, *, models, every, settings, progress, max_events):
        calls.append(settings)
        score = 1.0 - abs(settings.learning_rate - 0.1) - abs(settings.blend_weight - 0.6)
        return SimpleNamespace(
            results=[
                SimpleNamespace(model=m, hr_at_10=score, ndcg_at_10=score / 2, evaluated=len(stream), seconds=0.01)
                for m in models
            ]
        )

    return run


def test_learning_rate_study_is_tidy_and_keeps_the_strong_ratio():
    calls = []
    frame = studies.learning_rate_study(
        [1, 2, 3], rates=(0.05, 0.1, 0.2), models=("personal", "blend"), replay=stand_in_replay(calls)
    )
    assert frame.columns == [
        "learning_rate",
        "strong_learning_rate",
        "model",
        "hr_at_10",
        "ndcg_at_10",
        "evaluated",
        "seconds",
    ]
    assert frame.height == 6 and frame["evaluated"].to_list() == [3] * 6
    assert [c.strong_learning_rate for c in calls] == pytest.approx([0.075, 0.15, 0.3])
    assert studies.best(frame, model="blend")["learning_rate"] == 0.1


def test_blend_weight_study_and_best():
    calls = []
    base = ModelSettings(learning_rate=0.2)
    frame = studies.blend_weight_study([1], weights=(0.0, 0.6, 1.0), base=base, replay=stand_in_replay(calls))
    assert frame["blend_weight"].to_list() == [0.0, 0.6, 1.0]
    assert all(c.learning_rate == 0.2 for c in calls)  # other settings kept
    assert studies.best(frame, metric="hr_at_10")["blend_weight"] == 0.6


def test_grid_of_two_settings_and_bad_input():
    frame = studies.study([1], {"learning_rate": [0.1, 0.2], "blend_weight": [0.5, 0.6]}, replay=stand_in_replay([]))
    assert frame.height == 4 and {"learning_rate", "blend_weight"} <= set(frame.columns)
    with pytest.raises(ValueError):
        studies.study([1], {"not_a_setting": [1]}, replay=stand_in_replay([]))
    with pytest.raises(ValueError):
        studies.best(frame, metric="accuracy")


def test_real_replay_runs_a_tiny_study(tmp_path):
    from personalization.data.synthetic import generate, write_movielens
    from personalization.evaluation import replay

    stream = replay.load_stream(write_movielens(generate(n_users=15, n_films=80, mean_ratings=15, seed=2), tmp_path))
    frame = studies.blend_weight_study(stream, weights=(0.0, 1.0), max_events=150)
    assert frame.height == 2 and frame["evaluated"].min() > 0
    assert frame["hr_at_10"].is_between(0, 1).all()
