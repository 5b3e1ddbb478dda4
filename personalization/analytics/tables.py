"""The engine's tables as Polars frames, with one fixed schema each (pure, no I/O).

Every loader (PostgreSQL, MovieLens files, Parquet) returns a ``Tables``: the same column names
and types whatever the source, so a pipeline written once runs on all of them. Column names follow
the database, except that a film is ``film_id`` everywhere (``movies.id`` and ``movie_id`` in SQL).
Empty tables keep their schema (a database with no feedback still has a typed ``feedback`` frame).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import polars as pl
from polars.datatypes import DataType, DataTypeClass

PolarsDataType = DataType | DataTypeClass  # pl.Int64 (a class) or pl.List(pl.String) (an instance)

__all__ = ["Tables", "SCHEMAS", "conform", "films_frame", "films_from_frame", "ratings_frame"]

_TS = pl.Datetime("us", "UTC")
_TEXTS = pl.List(pl.String)

SCHEMAS: dict[str, dict[str, PolarsDataType]] = {
    "movies": {
        "film_id": pl.Int64,
        "title": pl.String,
        "year": pl.Int64,
        "genres": _TEXTS,
        "directors": _TEXTS,
        "actors": _TEXTS,
        "metadata": pl.String,
    },
    "users": {"user_id": pl.Int64, "name": pl.String, "created_at": _TS},
    "ratings": {"user_id": pl.Int64, "film_id": pl.Int64, "stars": pl.Float64, "rated_at": _TS},
    "feedback": {
        "id": pl.Int64,
        "user_id": pl.Int64,
        "film_id": pl.Int64,
        "kind": pl.String,
        "context": pl.String,
        "created_at": _TS,
    },
    "user_embeddings": {
        "user_id": pl.Int64,
        "embedding": pl.List(pl.Float32),
        "dim": pl.Int64,
        "n_ratings": pl.Int64,
        "n_feedback": pl.Int64,
        "model_version": pl.String,
        "last_event_at": _TS,
        "updated_at": _TS,
    },
    "user_preferences": {"user_id": pl.Int64, "profile": pl.String, "n_ratings": pl.Int64, "computed_at": _TS},
    "user_model_weights": {
        "user_id": pl.Int64,
        "blend_weight": pl.Float64,
        "model_weights": pl.String,
        "updated_at": _TS,
    },
    "engine_settings": {"key": pl.String, "value": pl.String, "updated_at": _TS},
}


def conform(name: str, frame: pl.DataFrame | None) -> pl.DataFrame:
    """``frame`` with exactly the columns and types of table ``name`` (missing columns are null)."""
    schema = SCHEMAS[name]
    if frame is None or frame.height == 0:
        return pl.DataFrame(schema=schema)
    cols = []
    for col, dtype in schema.items():
        if col not in frame.columns:
            cols.append(pl.lit(None, dtype=dtype).alias(col))
        elif isinstance(dtype, pl.Datetime) and frame.schema[col] != dtype:
            current = frame.schema[col]
            expr = pl.col(col)
            if isinstance(current, pl.Datetime) and current.time_zone is None:
                expr = expr.dt.replace_time_zone("UTC")
            cols.append(expr.cast(dtype).alias(col))
        else:
            cols.append(pl.col(col).cast(dtype).alias(col))
    return frame.select(cols)


@dataclass(init=False)
class Tables:
    """One frame per engine table. Sources without a table (MovieLens files) leave it empty.

    Every argument may be None (or an empty frame): each attribute is then an empty frame with
    its table's schema, so an attribute is never None.
    """

    movies: pl.DataFrame
    ratings: pl.DataFrame
    users: pl.DataFrame
    feedback: pl.DataFrame
    user_embeddings: pl.DataFrame
    user_preferences: pl.DataFrame
    user_model_weights: pl.DataFrame
    engine_settings: pl.DataFrame

    def __init__(
        self,
        movies: pl.DataFrame | None,
        ratings: pl.DataFrame | None,
        users: pl.DataFrame | None = None,
        feedback: pl.DataFrame | None = None,
        user_embeddings: pl.DataFrame | None = None,
        user_preferences: pl.DataFrame | None = None,
        user_model_weights: pl.DataFrame | None = None,
        engine_settings: pl.DataFrame | None = None,
    ) -> None:
        self.movies = conform("movies", movies)
        self.ratings = conform("ratings", ratings)
        self.users = conform("users", users)
        self.feedback = conform("feedback", feedback)
        self.user_embeddings = conform("user_embeddings", user_embeddings)
        self.user_preferences = conform("user_preferences", user_preferences)
        self.user_model_weights = conform("user_model_weights", user_model_weights)
        self.engine_settings = conform("engine_settings", engine_settings)

    def as_dict(self) -> dict[str, pl.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def films_frame(films) -> pl.DataFrame:
    """``catalogue.Film`` objects (or ``synthetic`` film dicts) as a ``movies`` frame."""
    rows = [_film_row(f) for f in films]
    schema = {k: v for k, v in SCHEMAS["movies"].items() if k != "metadata"}
    return conform("movies", pl.DataFrame(rows, schema=schema) if rows else None)


def _film_row(film) -> dict:
    get = film.get if isinstance(film, dict) else lambda key: getattr(film, key, None)
    return {
        "film_id": get("id"),
        "title": get("title"),
        "year": get("year"),
        "genres": list(get("genres") or ()),
        "directors": list(get("directors") or ()),
        "actors": list(get("actors") or ()),
    }


def ratings_frame(events) -> pl.DataFrame:
    """Rating events ``(user, film, stars, unix seconds)`` (``importers``' form) as a frame."""
    events = list(events)
    if not events:
        return conform("ratings", None)
    users, films, stars, ts = zip(*events)
    frame = pl.DataFrame(
        {"user_id": users, "film_id": films, "stars": stars, "rated_at": [int(t * 1_000_000) for t in ts]},
        schema={"user_id": pl.Int64, "film_id": pl.Int64, "stars": pl.Float64, "rated_at": pl.Int64},
    )
    return conform("ratings", frame.with_columns(pl.col("rated_at").cast(pl.Datetime("us", "UTC"))))


def films_from_frame(movies: pl.DataFrame) -> list:
    """A ``movies`` frame back to ``catalogue.Film`` objects (to build a ``Catalogue``)."""
    from personalization.core.catalogue import Film

    return [
        Film(fid, title, year, tuple(g or ()), tuple(d or ()), tuple(a or ()))
        for fid, title, year, g, d, a in movies.select(
            "film_id", "title", "year", "genres", "directors", "actors"
        ).iter_rows()
    ]
