"""The replay protocol, by hand, and the report's shape."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from personalization.cli.evaluation import replay_command
from personalization.config import ModelSettings
from personalization.core.base_models import BaseModel, ModelSpec, Ratings, register, unregister
from personalization.core.catalogue import Film
from personalization.data import synthetic
from personalization.evaluation import replay as rp
from personalization.evaluation.replay import Stream, load_stream, run_replay

FILMS = [Film(i, f"Film {i}", 2000, ("Drama",)) for i in range(1, 21)]


def _stream(rows) -> Stream:
    u, f, s, t = zip(*rows)
    return Stream(Ratings(np.array(u), np.array(f), np.array(s, np.float32), np.array(t, np.float64)), FILMS)


# (user, film, stars, timestamp); deliberately not in time order: the stream sorts (stably).
HAND = [
    (1, 6, 4.0, 7),  # eligible #0: popularity ranks 10, 11 (one good rating each), then 6 (lowest id of
    # the zeros) -> rank 3: hit, NDCG 1/log2(4) = 0.5
    (1, 1, 5.0, 1),
    (1, 2, 5.0, 2),
    (1, 3, 5.0, 3),
    (1, 4, 5.0, 4),
    (1, 5, 5.0, 5),
    (3, 10, 5.0, 6),
    (3, 11, 5.0, 6),  # equal timestamps: kept in this order
    (1, 20, 4.0, 8),  # eligible #1: 10, 11, then 7 8 9 12 ... 19 (11 films) -> rank 14: miss
    (1, 7, 3.0, 9),  # 3 stars: not eligible
    (2, 12, 5.0, 10),  # user 2 has no history: not eligible
]


def test_hand_made_stream_gives_hand_computed_hr_and_ndcg():
    report = run_replay(_stream(HAND), models=["popularity"])
    r = report.result("popularity")
    assert (r.evaluated, r.hr_at_10, r.ndcg_at_10) == (2, 0.5, 0.25)
    assert report.protocol["eligible"] == 2 and report.protocol["events"] == len(HAND)


def test_every_thins_the_evaluation_not_the_learning():
    r = run_replay(_stream(HAND), models=["popularity"], every=2).result("popularity")
    assert (r.evaluated, r.hr_at_10, r.ndcg_at_10) == (1, 1.0, 0.5)


def test_buckets_count_earlier_ratings():
    report = run_replay(_stream(HAND), models=["popularity"])
    cells = {d["bucket"]: d for d in report.by_count}
    assert cells["5-9"]["evaluated"] == 2 and cells["5-9"]["hr@10"] == 0.5
    assert cells["5-9"]["hr@10_se"] == pytest.approx(0.5)  # hits (1, 0): sd 0.7071 / sqrt(2)
    assert cells["10-49"]["evaluated"] == cells["50+"]["evaluated"] == 0


class Nothing(BaseModel):
    """Learns nothing: every film scores the same, so the list is just the lowest ids."""

    name = "nothing"

    def fit(self, ratings):
        return self

    def learn_one(self, user, film, stars):
        pass

    def score(self, history, candidates, user=None):
        return np.zeros(len(candidates))


@pytest.fixture(scope="module")
def small_stream() -> Stream:
    data = synthetic.generate(n_users=120, n_films=400, mean_ratings=40, seed=3)
    films = [
        Film(f["id"], f["title"], f["year"], tuple(f["genres"]), tuple(f["directors"]), tuple(f["actors"]))
        for f in data.films
    ]
    return Stream(data.ratings, films, "small")


@pytest.fixture
def nothing():
    register(ModelSpec("nothing", Nothing, weight=0.0))
    yield
    unregister("nothing")


def test_a_model_that_learns_nothing_loses_to_popularity(small_stream, nothing):
    assert "nothing" in rp.model_names()
    report = run_replay(small_stream, models=["popularity", "nothing"], every=3)
    assert report.result("nothing").hr_at_10 < report.result("popularity").hr_at_10


def test_cinesync_beats_popularity_and_seed_on_a_synthetic_stream(small_stream):
    report = run_replay(small_stream, models=["popularity", "seed", "cinesync"], every=3)
    hr = {r.model: r.hr_at_10 for r in report.results}
    assert hr["cinesync"] > 1.5 * hr["seed"] and hr["cinesync"] > 1.5 * hr["popularity"], hr


def test_json_shape_from_the_cli(tmp_path, small_stream):
    data = synthetic.generate(n_users=40, n_films=150, mean_ratings=25, seed=5)
    synthetic.write_movielens(data, tmp_path)
    out = CliRunner().invoke(
        replay_command,
        [str(tmp_path), "--json", "--every", "4", "--no-progress", "--models", "popularity,seed,cinesync"],
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert set(doc) == {"protocol", "results", "by_count"}
    assert [r["model"] for r in doc["results"]] == ["popularity", "seed", "cinesync"]
    for r in doc["results"]:
        assert set(r) == {
            "model",
            "hr@10",
            "hr@10_se",
            "hr@10_95",
            "ndcg@10",
            "ndcg@10_se",
            "coverage",
            "novelty",
            "evaluated",
            "seconds",
        }
        assert 0.0 <= r["ndcg@10"] <= r["hr@10"] <= 1.0 and 0.0 < r["coverage"] <= 1.0
        assert r["hr@10_95"][0] <= r["hr@10"] <= r["hr@10_95"][1]
    p = doc["protocol"]
    assert p["k"] == 10 and p["every"] == 4 and not p["includes_tuning_events"]
    assert p["evaluate_from"] == p["tuning_cut"]["index"] > 0  # the held-out part by default


def test_load_stream_reads_a_movielens_folder_in_time_order(tmp_path):
    data = synthetic.generate(n_users=20, n_films=80, mean_ratings=15, seed=1)
    synthetic.write_movielens(data, tmp_path)
    stream = load_stream(tmp_path)
    assert len(stream) == len(data.ratings) and len(stream.films) == 80
    assert np.all(np.diff(stream.ratings.timestamps) >= 0)
    assert any(f.directors for f in stream.films)  # credits.csv merged


def test_unknown_model_and_unknown_film_are_refused():
    with pytest.raises(ValueError, match="unknown model"):
        run_replay(_stream(HAND), models=["magic"])
    bad = HAND + [(1, 99, 5.0, 11)]
    with pytest.raises(ValueError, match="missing from the film list"):
        run_replay(_stream(bad), models=["popularity"])


def test_report_tables_render(small_stream):
    report = run_replay(small_stream.head(1500), models=["popularity", "cinesync"], every=5, settings=ModelSettings())
    assert "| cinesync |" in report.table() and "HR@10 50+" in report.bucket_table()


def test_replay_with_nothing_to_evaluate_says_why_instead_of_a_table_of_zeros(tmp_path):
    from click.testing import CliRunner

    from personalization.cli import main

    (tmp_path / "movies.csv").write_text("movieId,title,genres\n1,A (1990),Drama\n2,B (1991),Comedy\n")
    (tmp_path / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4,100\n1,2,5,101\n")
    r = CliRunner().invoke(main, ["replay", str(tmp_path), "--no-progress"])
    assert r.exit_code == 2 and "nothing to evaluate" in r.output and "| model |" not in r.output
