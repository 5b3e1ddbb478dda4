"""Batch preference analysis for every user at once, in Polars (lazy; pure over frames).

It reproduces ``preferences.analyse`` exactly (see that module's docstring for the definitions).
Two details keep the results identical to the online engine, not merely close:

* star sums are exact (half steps), and significance is computed as one division of exact
  numbers, ``(n * S_f - k * S) / (n * (k + SHRINKAGE))`` with ``S`` the user's star sum and ``S_f``
  the feature's: the same float in Python, Polars and DuckDB, so ties rank the same everywhere;
* a film's genre/director/actor lists count each name once (``set`` in the online code).
"""

from __future__ import annotations

import polars as pl

from personalization.analytics.profile_frames import STAR_KEYS, ProfileFrames
from personalization.core.preferences import SHRINKAGE, STYLE_BAND, TOP_N

__all__ = ["analyse", "community_stats"]

_LIST_FIELDS = {"genres": "genres", "directors": "directors", "actors": "actors"}


def community_stats(ratings: pl.LazyFrame | pl.DataFrame, movies: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """One row: the community's mean and population std of all stars, and the catalogue's genre
    count (distinct genres over every film, rated or not)."""
    stars = ratings.lazy().select(
        mean=pl.col("stars").cast(pl.Float64).mean(), std=pl.col("stars").cast(pl.Float64).std(ddof=0)
    )
    genres = movies.lazy().select(pl.col("genres").explode().drop_nulls().n_unique().cast(pl.Int64).alias("n_genres"))
    return pl.concat([stars, genres], how="horizontal").collect()


def analyse(
    ratings: pl.LazyFrame | pl.DataFrame, movies: pl.LazyFrame | pl.DataFrame, *, top_n: int = TOP_N
) -> ProfileFrames:
    """Profiles of every user in ``ratings`` (user_id, film_id, stars) over ``movies``
    (film_id, year, genres, directors, actors)."""
    r = ratings.lazy().select("user_id", "film_id", pl.col("stars").cast(pl.Float64))
    films = movies.lazy().select("film_id", "year", *[pl.col(c).list.unique() for c in _LIST_FIELDS.values()])
    community = community_stats(r, movies)
    c_mean, c_std, n_genres = community.row(0)
    c_mean, c_std = c_mean or 0.0, c_std or 0.0

    per_user = r.group_by("user_id").agg(n=pl.len().cast(pl.Int64), s=pl.col("stars").sum())
    rated = r.join(films, on="film_id", how="left")
    features = pl.concat(
        [
            *[
                rated.select("user_id", "stars", pl.lit(field).alias("field"), pl.col(col).alias("name"))
                .explode("name")
                .drop_nulls("name")
                for field, col in _LIST_FIELDS.items()
            ],
            rated.filter(pl.col("year").is_not_null() & (pl.col("year") != 0)).select(
                "user_id",
                "stars",
                pl.lit("decades").alias("field"),
                ((pl.col("year") // 10 * 10).cast(pl.String) + "s").alias("name"),
            ),
        ]
    )
    scored = (
        features.group_by("user_id", "field", "name")
        .agg(k=pl.len().cast(pl.Int64), s_f=pl.col("stars").sum())
        .join(per_user, on="user_id")
    )
    n, k = pl.col("n").cast(pl.Float64), pl.col("k").cast(pl.Float64)
    ranked = (
        scored.with_columns(
            mean=pl.col("s_f") / k, significance=(n * pl.col("s_f") - k * pl.col("s")) / (n * (k + SHRINKAGE))
        )
        .filter(pl.col("significance") > 1e-12)
        .sort(["user_id", "field", "significance", "k", "name"], descending=[False, False, True, True, False])
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("user_id", "field"))
        .filter(pl.col("rank") <= top_n)
        .select("user_id", "field", "rank", "name", pl.col("k").alias("n"), "mean", "significance")
    )
    genre_counts = scored.filter(pl.col("field") == "genres").select("user_id", "k")
    diversity = _diversity(genre_counts, n_genres)

    mu = pl.col("s") / pl.col("n").cast(pl.Float64)
    delta = (mu - c_mean) / c_std if c_std > 0 else pl.lit(0.0)
    users = (
        per_user.with_columns(mean_rating=mu, style_delta=delta)
        .with_columns(
            style=pl.when(pl.col("style_delta") > STYLE_BAND)
            .then(pl.lit("generous"))
            .when(pl.col("style_delta") < -STYLE_BAND)
            .then(pl.lit("harsh"))
            .otherwise(pl.lit("balanced")),
            community_mean=pl.lit(c_mean, pl.Float64),
        )
        .join(diversity, on="user_id", how="left")
        .select(
            pl.col("user_id"),
            pl.col("n").alias("n_ratings"),
            "mean_rating",
            "style",
            "style_delta",
            "community_mean",
            pl.col("diversity").fill_null(0.0),
        )
    )
    steps = pl.LazyFrame({"stars_value": [float(k) for k in STAR_KEYS], "stars": list(STAR_KEYS)})
    counts = r.group_by("user_id", pl.col("stars").alias("stars_value")).agg(count=pl.len().cast(pl.Int64))
    distribution = (
        per_user.select("user_id")
        .join(steps, how="cross")
        .join(counts, on=["user_id", "stars_value"], how="left")
        .select("user_id", "stars", pl.col("count").fill_null(0))
    )
    users_df, features_df, dist_df = pl.collect_all([users, ranked, distribution])
    return ProfileFrames(users_df, features_df, dist_df)


def _diversity(genre_counts: pl.LazyFrame, n_genres: int) -> pl.LazyFrame:
    """Normalised entropy of each user's genre counts: ``H / ln(G)``, clipped to [0, 1]."""
    if n_genres <= 1:
        return genre_counts.group_by("user_id").agg(diversity=pl.lit(0.0))
    p = pl.col("k") / pl.col("k").sum().over("user_id")
    import math

    return (
        genre_counts.with_columns(h=-(p * p.log()))
        .group_by("user_id")
        .agg(diversity=(pl.col("h").sum() / math.log(n_genres)).clip(0.0, 1.0))
    )
