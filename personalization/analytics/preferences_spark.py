"""Batch preference analysis for every user at once, on Apache Spark (the ``[spark]`` extra).

For data that outgrow one machine: the same definitions as ``preferences.analyse``,
``preferences_polars`` and ``preferences_duckdb`` (significance as one exact division, each name
counted once per film, ties by more ratings then name), in Spark SQL, so the parity check can hold
all three engines to the online engine. Frames travel as Arrow both ways (no pandas): Polars in,
``spark.createDataFrame(arrow)``, ``DataFrame.toArrow()``, Polars out.

    >>> spark = local_session()                                       # doctest: +SKIP
    >>> frames = analyse(ratings, movies, spark=spark)                # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import polars as pl

from personalization.analytics.profile_frames import STAR_KEYS, ProfileFrames
from personalization.core.preferences import SHRINKAGE, STYLE_BAND, TOP_N

__all__ = ["analyse", "analyse_views", "local_session", "SQL"]

_STEPS = ", ".join(f"(CAST({float(k)!r} AS DOUBLE), '{k}')" for k in STAR_KEYS)

# The DuckDB pipeline's CTEs in Spark's dialect (explode for unnest, array_distinct for
# list_distinct, div for integer division), each cached once as a table (``cinesync_<name>``)
# that the three final queries share.
_TABLES = {
    "r": "SELECT user_id, film_id, CAST(stars AS DOUBLE) AS stars FROM ratings",
    "community": "SELECT avg(stars) AS mean, coalesce(stddev_pop(stars), 0D) AS std FROM cinesync_r",
    "catalogue": "SELECT count(DISTINCT g) AS n_genres FROM (SELECT explode(genres) AS g FROM movies) AS m",
    "per_user": "SELECT user_id, CAST(count(*) AS BIGINT) AS n, sum(stars) AS s FROM cinesync_r GROUP BY user_id",
    "scored": """
WITH films AS (
    SELECT film_id, year, array_distinct(genres) AS genres, array_distinct(directors) AS directors,
           array_distinct(actors) AS actors FROM movies
), rated AS (
    SELECT r.user_id, r.stars, f.year, f.genres, f.directors, f.actors
    FROM cinesync_r r LEFT JOIN films f ON r.film_id = f.film_id
), features AS (
    SELECT user_id, stars, 'genres' AS field, explode(genres) AS name FROM rated
    UNION ALL SELECT user_id, stars, 'directors', explode(directors) FROM rated
    UNION ALL SELECT user_id, stars, 'actors', explode(actors) FROM rated
    UNION ALL SELECT user_id, stars, 'decades', concat(CAST((year div 10) * 10 AS STRING), 's')
              FROM rated WHERE year IS NOT NULL AND year <> 0
)
SELECT f.user_id, f.field, f.name, CAST(count(*) AS BIGINT) AS k, sum(f.stars) AS s_f, u.n, u.s
FROM features f JOIN cinesync_per_user u ON f.user_id = u.user_id
WHERE f.name IS NOT NULL
GROUP BY f.user_id, f.field, f.name, u.n, u.s""",
}

SQL = {
    "users": f"""
WITH entropy AS (
    SELECT user_id, -sum(k / t * ln(k / t)) AS h FROM (
        SELECT user_id, CAST(k AS DOUBLE) AS k, CAST(sum(k) OVER (PARTITION BY user_id) AS DOUBLE) AS t
        FROM cinesync_scored WHERE field = 'genres') AS g GROUP BY user_id
), deltas AS (
    SELECT u.user_id, u.n, u.s, c.mean, cat.n_genres, e.h,
           CASE WHEN c.std > 0 THEN (u.s / u.n - c.mean) / c.std ELSE 0D END AS delta
    FROM cinesync_per_user u CROSS JOIN cinesync_community c CROSS JOIN cinesync_catalogue cat
    LEFT JOIN entropy e ON e.user_id = u.user_id
)
SELECT user_id, n AS n_ratings, s / n AS mean_rating,
       CASE WHEN delta > {STYLE_BAND} THEN 'generous'
            WHEN delta < -{STYLE_BAND} THEN 'harsh' ELSE 'balanced' END AS style,
       delta AS style_delta, mean AS community_mean,
       CASE WHEN n_genres <= 1 OR h IS NULL THEN 0D
            ELSE greatest(0D, least(1D, h / ln(n_genres))) END AS diversity
FROM deltas ORDER BY user_id""",
    "features": f"""
SELECT user_id, field, CAST(rank AS BIGINT) AS rank, name, k AS n, mean, significance FROM (
    SELECT user_id, field, name, k, s_f / k AS mean, significance,
           row_number() OVER (PARTITION BY user_id, field
                              ORDER BY significance DESC, k DESC, name) AS rank
    FROM (SELECT *, (CAST(n AS DOUBLE) * s_f - CAST(k AS DOUBLE) * s)
                    / (CAST(n AS DOUBLE) * (CAST(k AS DOUBLE) + CAST({SHRINKAGE} AS DOUBLE))) AS significance
          FROM cinesync_scored) AS s
    WHERE significance > 1e-12) AS ranked
WHERE rank <= {{top_n}}
ORDER BY user_id, field, rank""",
    "distribution": f"""
WITH steps AS (SELECT * FROM VALUES {_STEPS} AS steps(value, key))
SELECT u.user_id, steps.key AS stars, CAST(count(r.stars) AS BIGINT) AS count
FROM cinesync_per_user u CROSS JOIN steps LEFT JOIN cinesync_r r ON r.user_id = u.user_id AND r.stars = steps.value
GROUP BY u.user_id, steps.key
ORDER BY u.user_id, steps.key""",
}

_MOVIE_COLUMNS = ("film_id", "year", "genres", "directors", "actors")


def local_session(cores: int = 1, app_name: str = "cinesync-preferences") -> Any:
    """A local-mode SparkSession (no UI, few shuffle partitions: the data fit one machine)."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, 2 * cores)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def analyse_views(spark: Any, *, top_n: int = TOP_N) -> ProfileFrames:
    """Run the analysis in ``spark``, which must see views ``ratings`` and ``movies``."""
    for name, query in _TABLES.items():
        spark.sql(f"UNCACHE TABLE IF EXISTS cinesync_{name}")
        spark.sql(f"CACHE TABLE cinesync_{name} AS {query}")
    users = pl.from_arrow(spark.sql(SQL["users"]).toArrow())
    features = pl.from_arrow(spark.sql(SQL["features"].replace("{top_n}", str(int(top_n)))).toArrow())
    distribution = pl.from_arrow(spark.sql(SQL["distribution"]).toArrow())
    assert isinstance(users, pl.DataFrame) and isinstance(features, pl.DataFrame)
    assert isinstance(distribution, pl.DataFrame)
    return ProfileFrames(users, features, distribution)


def analyse(
    ratings: pl.LazyFrame | pl.DataFrame,
    movies: pl.LazyFrame | pl.DataFrame,
    *,
    spark: Any = None,
    top_n: int = TOP_N,
) -> ProfileFrames:
    """Profiles of every user from Polars frames, on ``spark`` (a local session if None)."""
    spark = spark or local_session()
    r = ratings.lazy().select(
        pl.col("user_id").cast(pl.Int64), pl.col("film_id").cast(pl.Int64), pl.col("stars").cast(pl.Float64)
    )
    m = movies.lazy().select(
        pl.col("film_id").cast(pl.Int64),
        pl.col("year").cast(pl.Int64),
        *[pl.col(c).cast(pl.List(pl.String)) for c in _MOVIE_COLUMNS[2:]],
    )
    spark.createDataFrame(r.collect().to_arrow()).createOrReplaceTempView("ratings")
    spark.createDataFrame(m.collect().to_arrow()).createOrReplaceTempView("movies")
    return analyse_views(spark, top_n=top_n)
