"""Describing the catalogue and the ratings: small Polars summaries to read or plot (pure).

Each function takes the ``ratings`` and/or ``movies`` frames (``tables.Tables``) and returns a
tidy frame, so the notebooks and the dashboard show the same numbers.
"""

from __future__ import annotations

import polars as pl

from personalization.analytics.profile_frames import STAR_KEYS

__all__ = [
    "overview",
    "star_distribution",
    "ratings_per_user",
    "genre_summary",
    "decade_summary",
    "top_people",
    "ratings_over_time",
]


def overview(ratings: pl.DataFrame, movies: pl.DataFrame) -> pl.DataFrame:
    """One row: sizes, sparsity and the mean/std of the stars."""
    n_users, n_films = ratings["user_id"].n_unique(), movies.height
    return pl.DataFrame(
        {
            "films": [n_films],
            "rated_films": [ratings["film_id"].n_unique()],
            "users": [n_users],
            "ratings": [ratings.height],
            "density": [ratings.height / (n_users * n_films) if n_users and n_films else 0.0],
            "mean_stars": [ratings["stars"].mean()],
            "std_stars": [ratings["stars"].std(ddof=0)],
        }
    )


def star_distribution(ratings: pl.DataFrame) -> pl.DataFrame:
    """How many ratings gave each star step (all ten steps, zeros included)."""
    steps = pl.DataFrame({"stars": [float(k) for k in STAR_KEYS]})
    counts = ratings.group_by("stars").agg(count=pl.len())
    return (
        steps.join(counts, on="stars", how="left")
        .with_columns(pl.col("count").fill_null(0))
        .with_columns(share=pl.col("count") / pl.col("count").sum())
    )


def ratings_per_user(ratings: pl.DataFrame) -> pl.DataFrame:
    """Per user: how many ratings, their mean and spread (the long tail shows here)."""
    return (
        ratings.group_by("user_id")
        .agg(n_ratings=pl.len(), mean_stars=pl.col("stars").mean(), std_stars=pl.col("stars").std(ddof=0))
        .sort("n_ratings", "user_id", descending=[True, False])
    )


def _by_feature(ratings: pl.DataFrame, movies: pl.DataFrame, feature: pl.Expr, name: str) -> pl.DataFrame:
    films = movies.select("film_id", feature.alias(name))
    if films.schema[name] == pl.List(pl.String):
        films = films.with_columns(pl.col(name).list.unique()).explode(name)
    films = films.drop_nulls(name)
    per_film = films.group_by(name).agg(films=pl.len())
    per_rating = (
        ratings.join(films, on="film_id")
        .group_by(name)
        .agg(
            ratings=pl.len(),
            users=pl.col("user_id").n_unique(),
            mean_stars=pl.col("stars").mean(),
            share_4_plus=(pl.col("stars") >= 4).mean(),
        )
    )
    return (
        per_film.join(per_rating, on=name, how="left")
        .with_columns(pl.col("ratings", "users").fill_null(0))
        .sort("ratings", name, descending=[True, False])
    )


def genre_summary(ratings: pl.DataFrame, movies: pl.DataFrame) -> pl.DataFrame:
    """Per genre: films, ratings, distinct raters, mean stars, share of 4+ ratings."""
    return _by_feature(ratings, movies, pl.col("genres"), "genre")


def decade_summary(ratings: pl.DataFrame, movies: pl.DataFrame) -> pl.DataFrame:
    """The same per decade of release (films without a year are left out)."""
    decade = pl.when(pl.col("year").is_not_null() & (pl.col("year") != 0)).then(pl.col("year") // 10 * 10)
    return _by_feature(ratings, movies, decade, "decade").sort("decade")


def top_people(
    ratings: pl.DataFrame, movies: pl.DataFrame, role: str = "directors", *, min_ratings: int = 20, n: int = 15
) -> pl.DataFrame:
    """The directors (or actors) with the best mean stars among those rated ``min_ratings`` times."""
    if role not in ("directors", "actors"):
        raise ValueError("role must be 'directors' or 'actors'")
    person = role[:-1]
    table = _by_feature(ratings, movies, pl.col(role), person)
    return (
        table.filter(pl.col("ratings") >= min_ratings)
        .sort(["mean_stars", "ratings", person], descending=[True, True, False])
        .head(n)
    )


def ratings_over_time(ratings: pl.DataFrame, every: str = "1mo") -> pl.DataFrame:
    """Ratings and active users per period (``every`` as Polars durations: 1d, 1w, 1mo, 1y)."""
    return (
        ratings.sort("rated_at")
        .group_by_dynamic("rated_at", every=every)
        .agg(ratings=pl.len(), users=pl.col("user_id").n_unique(), mean_stars=pl.col("stars").mean())
    )
