"""Parity: the online engine's stored profiles, the Polars pipeline and the DuckDB pipeline agree
for every user (exact for counts, names, ranks and styles; within 1e-9 for floats)."""

from __future__ import annotations

import polars as pl
import pytest

from personalization.analytics import parity, preferences_duckdb, preferences_polars
from personalization.analytics.profile_frames import STAR_KEYS, differences, from_profiles
from personalization.core.catalogue import Film
from personalization.core.preferences import TOP_N
from personalization.data.importers import read_movielens


def test_parity_on_synthetic_stream(demo_service):
    result = parity.check(demo_service)
    assert result.differences.height == 0, result.differences
    assert result.online.users.height == demo_service.status().users == 60
    assert result.online.features.height > 60 * 10  # real content was compared
    assert result.polars.features["rank"].max() == TOP_N
    assert set(result.online.features["field"]) == {"genres", "directors", "actors", "decades"}
    assert result.online.distribution.height == 60 * len(STAR_KEYS)


def test_parity_on_real_movielens_sample(service, movielens_dir):
    data = read_movielens(movielens_dir)
    service.import_films(data.films)
    service.rate_many(data.ratings)
    result = parity.check(service)
    assert result.ok, result.differences
    users = {e[0] for e in data.ratings}
    assert result.duckdb.users.height == len(users)
    assert result.polars.users["n_ratings"].sum() == len(data.ratings)


def test_exact_ties_rank_by_more_ratings_everywhere(service):
    """sig(Ann) == sig(Bob) == 1/15 exactly; Bob has more ratings, so Bob comes first (rounding
    the old way, sum(s - mu), put Ann first)."""
    ann, bob = [3.5], [3.0, 1.0, 4.0, 5.0]
    fillers = [4.0, 2.5, 1.5, 3.5, 3.0]
    films = (
        [Film(1, "A", 2000, ("Drama",), (), ("Ann",))]
        + [Film(10 + i, f"B{i}", 2000, ("Drama",), (), ("Bob",)) for i in range(len(bob))]
        + [Film(20 + i, f"F{i}", 2000, ("Drama",)) for i in range(len(fillers))]
    )
    service.import_films(films)
    stars = ann + bob + fillers
    service.rate_many([(5, f.id, s, 1_600_000_000 + i) for i, (f, s) in enumerate(zip(films, stars))])
    online = service.profile(5)
    assert [(f.name, f.n) for f in online.actors] == [("Bob", 4), ("Ann", 1)]
    assert online.actors[0].significance == online.actors[1].significance
    result = parity.check(service)
    assert result.ok, result.differences
    assert result.duckdb.features.filter(pl.col("field") == "actors")["name"].to_list() == ["Bob", "Ann"]


def test_users_without_ratings_are_left_out_consistently(service, small_catalogue):
    service.rate(1, 1, 4.0)
    service.feedback(2, 2, "love")  # user 2 exists but has no ratings
    result = parity.check(service)
    assert result.ok, result.differences
    assert result.polars.users["user_id"].to_list() == [1]


def test_differences_reports_each_kind_of_disagreement(demo_tables):
    base = preferences_polars.analyse(demo_tables.ratings, demo_tables.movies)
    assert differences(base, base).height == 0
    feats = base.features
    first = (pl.col("user_id") == feats["user_id"][0]) & (pl.col("field") == feats["field"][0]) & (pl.col("rank") == 1)
    tiny = type(base)(
        base.users,
        feats.with_columns(
            pl.when(first).then(pl.col("significance") + 1e-12).otherwise(pl.col("significance")).alias("significance")
        ),
        base.distribution,
    )
    assert differences(base, tiny).height == 0  # within the 1e-9 tolerance
    changed = type(base)(
        base.users.with_columns(
            pl.when(pl.col("user_id") == 1).then(pl.lit("harsh")).otherwise(pl.col("style")).alias("style")
        ),
        feats.with_columns(
            pl.when(first).then(pl.col("significance") + 1e-6).otherwise(pl.col("significance")).alias("significance")
        ),
        base.distribution.filter(~((pl.col("user_id") == 1) & (pl.col("stars") == "5"))),
    )
    diff = differences(base, changed, names=("a", "b"))
    assert set(diff["column"]) == {"significance", "<row>"} | (
        {"style"} if base.users["style"][0] != "harsh" else set()
    )
    missing = diff.filter(pl.col("column") == "<row>").row(0, named=True)
    assert (missing["table"], missing["user_id"], missing["a"], missing["b"]) == (
        "distribution",
        1,
        "present",
        "missing",
    )


def test_pipelines_agree_with_top_n(demo_tables):
    a = preferences_polars.analyse(demo_tables.ratings, demo_tables.movies, top_n=3)
    b = preferences_duckdb.analyse(demo_tables.ratings, demo_tables.movies, top_n=3)
    assert a.features["rank"].max() == 3
    assert differences(a, b).height == 0


def test_from_profiles_shape_round_trips(demo_service):
    profile = demo_service.profile(1)
    frames = from_profiles([profile])
    again = frames.user(1)
    assert again["n_ratings"] == profile.n_ratings
    assert [f["name"] for f in again["genres"]] == [f.name for f in profile.genres]
    assert again["distribution"] == profile.distribution
    with pytest.raises(KeyError):
        frames.user(999)


# -- issue 10: a third engine, Spark (local mode), on the same data ------------------------------
@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the session (the JVM takes 20-30 s to start); skipped only when
    the [spark] extra (pyspark) is not installed."""
    pytest.importorskip("pyspark", reason="the [spark] extra (pyspark) is not installed")
    from personalization.analytics.preferences_spark import local_session

    session = local_session(cores=1)
    yield session
    session.stop()


@pytest.mark.slow
def test_parity_of_all_three_engines_with_the_online_engine(demo_service, spark):
    """Spark, Polars and DuckDB each agree with the online engine's stored profiles (and Spark
    with Polars) for every user of the synthetic stream."""
    result = parity.check(demo_service, spark=spark)
    assert result.ok, result.differences
    assert "spark" in result.seconds
    assert result.spark is not None and result.spark.users.height == 60
    assert result.spark.features.height == result.polars.features.height > 60 * 10
    assert set(result.summary()["source"]) == {"online", "polars", "duckdb", "spark"}
