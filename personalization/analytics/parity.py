"""The parity check: the online engine's stored profiles vs the Polars and DuckDB pipelines (and,
given a SparkSession, the Spark one).

``check(service)`` makes the engine compute and store every user's profile (``Service.profile``
writes ``user_preferences``), copies the tables out, runs the batch pipelines and lists every
disagreement: exact for counts, names, ranks and styles, within ``tolerance`` for floats.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import polars as pl

from personalization.analytics import preferences_duckdb, preferences_polars
from personalization.analytics.loaders import read_postgres
from personalization.analytics.profile_frames import ProfileFrames, differences, from_stored
from personalization.analytics.tables import Tables

__all__ = ["Parity", "profile_every_user", "compare", "check"]


@dataclass
class Parity:
    online: ProfileFrames
    polars: ProfileFrames
    duckdb: ProfileFrames
    differences: pl.DataFrame  # pair, table, user_id, key, column, left, right
    seconds: dict[str, float] = field(default_factory=dict)
    spark: ProfileFrames | None = None  # with a SparkSession (``preferences_spark``)

    @property
    def ok(self) -> bool:
        return self.differences.height == 0

    def summary(self) -> pl.DataFrame:
        """Users, feature rows and distribution rows per source, and differences per pair."""
        rows = []
        for name in ("online", "polars", "duckdb", "spark"):
            frames = getattr(self, name)
            if frames is None:
                continue
            rows.append(
                {
                    "source": name,
                    "users": frames.users.height,
                    "feature_rows": frames.features.height,
                    "distribution_rows": frames.distribution.height,
                    "seconds": self.seconds.get(name),
                }
            )
        return pl.DataFrame(rows)


def profile_every_user(service) -> int:
    """Ask the engine for every user's profile, so each is computed and stored now."""
    users = read_postgres(service, ["users"]).users["user_id"].to_list()
    for user_id in users:
        service.profile(user_id)
    return len(users)


def compare(tables: Tables, *, tolerance: float = 1e-9, spark=None) -> Parity:
    """Parity of the stored profiles in ``tables`` with the batch pipelines over its ratings
    (Polars and DuckDB; Spark too when ``spark`` is a SparkSession)."""
    seconds = {}
    t = time.perf_counter()
    online = from_stored(tables.user_preferences)
    seconds["online"] = time.perf_counter() - t
    t = time.perf_counter()
    by_polars = preferences_polars.analyse(tables.ratings, tables.movies)
    seconds["polars"] = time.perf_counter() - t
    t = time.perf_counter()
    by_duckdb = preferences_duckdb.analyse(tables.ratings, tables.movies)
    seconds["duckdb"] = time.perf_counter() - t
    pairs = {
        "online/polars": (online, by_polars),
        "online/duckdb": (online, by_duckdb),
        "polars/duckdb": (by_polars, by_duckdb),
    }
    by_spark = None
    if spark is not None:
        from personalization.analytics import preferences_spark

        t = time.perf_counter()
        by_spark = preferences_spark.analyse(tables.ratings, tables.movies, spark=spark)
        seconds["spark"] = time.perf_counter() - t
        pairs |= {"online/spark": (online, by_spark), "polars/spark": (by_polars, by_spark)}
    diffs = [
        differences(a, b, tolerance=tolerance, names=("left", "right")).select(pl.lit(pair).alias("pair"), pl.all())
        for pair, (a, b) in pairs.items()
    ]
    return Parity(online, by_polars, by_duckdb, pl.concat(diffs), seconds, by_spark)


def check(service, *, tolerance: float = 1e-9, spark=None) -> Parity:
    """Store every user's online profile, then compare it with the batch pipelines."""
    t = time.perf_counter()
    profile_every_user(service)
    online_seconds = time.perf_counter() - t
    parity = compare(
        read_postgres(service, ["movies", "ratings", "user_preferences"]), tolerance=tolerance, spark=spark
    )
    parity.seconds["online"] = online_seconds
    return parity
