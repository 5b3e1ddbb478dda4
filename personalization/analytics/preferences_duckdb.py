"""Batch preference analysis for every user at once, in DuckDB SQL (pure over relations).

The same definitions as ``preferences.analyse`` and ``preferences_polars`` (significance as one
exact division, each name counted once per film, ties by more ratings then name), written
independently in SQL so the two batch results can check each other and the online engine.
It reads two relations, ``ratings`` (user_id, film_id, stars) and ``movies`` (film_id, year,
genres, directors, actors): Polars frames registered over Arrow, or views over Parquet files.
"""

from __future__ import annotations

from personalization.analytics.profile_frames import STAR_KEYS, ProfileFrames
from personalization.core.preferences import SHRINKAGE, STYLE_BAND, TOP_N

__all__ = ["analyse", "analyse_connection", "SQL"]

_STEPS = ", ".join(f"({float(k)!r}::DOUBLE, '{k}')" for k in STAR_KEYS)

# Shared CTEs; the three SELECTs below each add their final step.
_BASE = """
WITH r AS (
    SELECT user_id, film_id, stars::DOUBLE AS stars FROM ratings
), community AS (
    SELECT avg(stars) AS mean, coalesce(stddev_pop(stars), 0) AS std FROM r
), catalogue AS (
    SELECT count(DISTINCT g) AS n_genres FROM (SELECT unnest(genres) AS g FROM movies)
), per_user AS (
    SELECT user_id, count(*)::BIGINT AS n, sum(stars) AS s FROM r GROUP BY user_id
), films AS (
    SELECT film_id, year, list_distinct(genres) AS genres, list_distinct(directors) AS directors,
           list_distinct(actors) AS actors FROM movies
), rated AS (
    SELECT r.user_id, r.stars, f.* EXCLUDE (film_id) FROM r LEFT JOIN films f USING (film_id)
), features AS (
    SELECT user_id, stars, 'genres' AS field, unnest(genres) AS name FROM rated
    UNION ALL SELECT user_id, stars, 'directors', unnest(directors) FROM rated
    UNION ALL SELECT user_id, stars, 'actors', unnest(actors) FROM rated
    UNION ALL SELECT user_id, stars, 'decades', CAST(year // 10 * 10 AS VARCHAR) || 's'
              FROM rated WHERE year IS NOT NULL AND year <> 0
), scored AS (
    SELECT f.user_id, f.field, f.name, count(*)::BIGINT AS k, sum(f.stars) AS s_f, u.n, u.s
    FROM features f JOIN per_user u USING (user_id)
    WHERE f.name IS NOT NULL
    GROUP BY f.user_id, f.field, f.name, u.n, u.s
)"""

SQL = {
    "users": _BASE
    + f"""
, entropy AS (
    SELECT user_id, -sum(k / t * ln(k / t)) AS h FROM (
        SELECT user_id, k::DOUBLE AS k, sum(k) OVER (PARTITION BY user_id)::DOUBLE AS t
        FROM scored WHERE field = 'genres') GROUP BY user_id
)
SELECT u.user_id, u.n AS n_ratings, u.s / u.n AS mean_rating,
       CASE WHEN d.delta > {STYLE_BAND} THEN 'generous'
            WHEN d.delta < -{STYLE_BAND} THEN 'harsh' ELSE 'balanced' END AS style,
       d.delta AS style_delta, c.mean AS community_mean,
       CASE WHEN cat.n_genres <= 1 OR e.h IS NULL THEN 0.0
            ELSE greatest(0.0, least(1.0, e.h / ln(cat.n_genres))) END AS diversity
FROM per_user u CROSS JOIN community c CROSS JOIN catalogue cat
LEFT JOIN entropy e USING (user_id)
CROSS JOIN LATERAL (SELECT CASE WHEN c.std > 0 THEN (u.s / u.n - c.mean) / c.std ELSE 0.0 END AS delta) d
ORDER BY u.user_id""",
    "features": _BASE
    + f"""
SELECT user_id, field, rank, name, k AS n, mean, significance FROM (
    SELECT user_id, field, name, k, s_f / k AS mean, significance,
           row_number() OVER (PARTITION BY user_id, field
                              ORDER BY significance DESC, k DESC, name) AS rank
    FROM (SELECT *, (n::DOUBLE * s_f - k::DOUBLE * s) / (n::DOUBLE * (k + {SHRINKAGE}::DOUBLE))
                    AS significance FROM scored)
    WHERE significance > 1e-12)
WHERE rank <= $top_n
ORDER BY user_id, field, rank""",
    "distribution": _BASE
    + f"""
, steps(value, key) AS (VALUES {_STEPS})
SELECT u.user_id, steps.key AS stars, count(r.stars)::BIGINT AS count
FROM per_user u CROSS JOIN steps LEFT JOIN r ON r.user_id = u.user_id AND r.stars = steps.value
GROUP BY u.user_id, steps.key
ORDER BY u.user_id, steps.key""",
}


def analyse_connection(con, *, top_n: int = TOP_N) -> ProfileFrames:
    """Run the analysis in ``con``, which must see relations ``ratings`` and ``movies``."""
    users = con.sql(SQL["users"]).pl()
    features = con.sql(SQL["features"], params={"top_n": int(top_n)}).pl()
    distribution = con.sql(SQL["distribution"]).pl()
    return ProfileFrames(users, features, distribution)


def analyse(ratings, movies, *, top_n: int = TOP_N) -> ProfileFrames:
    """Profiles of every user from Polars frames (handed to a private DuckDB over Arrow)."""
    import duckdb

    from personalization.analytics.loaders import duckdb_connection

    with duckdb.connect() as con:
        duckdb_connection({"ratings": ratings, "movies": movies}, con)
        return analyse_connection(con, top_n=top_n)
