"""Tuning on a time-ordered split, on a tiny stream and a tiny grid."""

from __future__ import annotations

import json

from personalization.config import ModelSettings
from personalization.core.catalogue import Film
from personalization.data import synthetic
from personalization.evaluation.cut import read_tuned
from personalization.evaluation.replay import Stream
from personalization.evaluation.tune import tune


def test_tune_writes_a_readable_result(tmp_path):
    data = synthetic.generate(n_users=60, n_films=200, mean_ratings=30, seed=4)
    films = [Film(f["id"], f["title"], f["year"], tuple(f["genres"])) for f in data.films]
    stream = Stream(data.ratings, films, "tiny")
    messages = []
    result = tune(
        stream,
        split=0.6,
        every=2,
        structure={"knn_neighbours": (20, 100)},
        learning={"ensemble_rate": (0.0, 1.0)},
        progress=messages.append,
        min_gain=0.0,
    )
    assert isinstance(result.chosen, ModelSettings)
    assert result.split_index >= int(len(stream) * 0.6)
    stages = {t["stage"] for t in result.trials}
    assert stages == {"start", "structure", "weights", "learning"}
    for name in ("knn_neighbours", "ensemble_rate"):
        rows = [t for t in result.trials if t["parameter"] == name]
        assert sum(t["chosen"] for t in rows) == 1
        best = max(rows, key=lambda t: (t["hr@10"], t["ndcg@10"]))
        assert next(t for t in rows if t["chosen"])["hr@10"] == best["hr@10"]
    assert set(result.report) == {"chosen", "defaults"}
    paths = result.write(tmp_path)
    assert all(p.exists() and p.stat().st_size > 0 for p in paths.values())
    saved = json.loads(paths["json"].read_text())
    assert ModelSettings(**saved["settings"]) == result.chosen
    assert saved["tuned_on"]["split"] == 0.6 and saved["tuned_on"]["events"] == len(stream)
    assert read_tuned(paths["json"]) == (result.chosen, result.cut)
    # the cut never splits a second: the last tuning event's time is before the first reported one
    ts = stream.ratings.timestamps
    assert saved["tuned_on"]["last_timestamp"] == ts[result.split_index - 1] < ts[result.split_index]
    assert "| structure | knn_neighbours |" in paths["md"].read_text()
    assert messages


def test_a_stream_too_short_to_score_anything_is_refused_before_any_search():
    """A tester's `tune --max-events 5` wrote tuned_settings.json from 0 scored events."""
    import numpy as np
    import pytest

    from personalization.core.base_models import Ratings
    from personalization.errors import CineSyncError
    from personalization.evaluation.stream import Stream
    from personalization.evaluation.tune import could_score, tune

    def stream(users, stars):
        n = len(users)
        r = Ratings(np.array(users), np.arange(1, n + 1), np.array(stars, np.float32), np.arange(n, dtype=float))
        return Stream(r, [], "s")

    six = [1, 1, 1, 1, 1, 1]
    assert could_score(stream(six, [3, 3, 3, 3, 3, 4]))  # the 6th rating: 5 earlier ones, 4 stars
    assert not could_score(stream(six, [4, 4, 4, 4, 4, 3]))  # the only candidate is 3 stars
    assert not could_score(stream([1, 2, 1, 2, 1, 2, 1, 2, 1, 2], [5] * 10))  # nobody reaches 5 earlier
    with pytest.raises(CineSyncError, match="nothing to tune on"):
        tune(stream([1, 2] * 10, [5.0] * 20), split=0.5)
