"""Looking inside the learned vectors: norms, drift over time, nearest films, a 2-D map (pure).

Inputs are frames from ``loaders`` (``user_embeddings``, ``ratings``), a ``Catalogue`` (the
films' content vectors: the space user vectors live in) and the learning rule; outputs are
tidy Polars frames ready to plot. Nothing here writes anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from personalization.core import ranker, signals
from personalization.core.catalogue import Catalogue
from personalization.core.user_model import OnlineUserModel, UserModel, is_valid_vector

__all__ = ["vectors", "norms", "drift", "trajectory_drift", "nearest_films", "Projection", "pca_2d"]


def vectors(user_embeddings: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(user_ids, matrix)`` from the ``user_embeddings`` frame (float32, one row per user)."""
    if user_embeddings.height == 0:
        return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
    ids = user_embeddings["user_id"].to_numpy().astype(np.int64)
    matrix = np.vstack([np.asarray(v, np.float32) for v in user_embeddings["embedding"].to_list()])
    return ids, matrix


def norms(user_embeddings: pl.DataFrame) -> pl.DataFrame:
    """Per user: the vector's norm and whether the engine would use it (unit or zero, finite,
    right length). A norm far from 1 (or 0 for a user with no signal) means a damaged row."""
    rows = []
    for uid, emb, dim, n in user_embeddings.select("user_id", "embedding", "dim", "n_ratings").iter_rows():
        vec = np.asarray(emb, np.float32)
        rows.append(
            {"user_id": uid, "n_ratings": n, "norm": float(np.linalg.norm(vec)), "valid": is_valid_vector(vec, dim)}
        )
    return pl.DataFrame(
        rows, schema={"user_id": pl.Int64, "n_ratings": pl.Int64, "norm": pl.Float64, "valid": pl.Boolean}
    )


def _drift_rows(user_id: int, steps: Iterable[tuple[object, int, float, np.ndarray]]) -> list[dict]:
    steps = list(steps)
    if not steps:
        return []
    final = np.asarray(steps[-1][3], np.float64)
    previous = None
    rows = []
    for i, (at, film_id, strength, vec) in enumerate(steps, start=1):
        v = np.asarray(vec, np.float64)
        rows.append(
            {
                "user_id": user_id,
                "step": i,
                "at": at,
                "film_id": film_id,
                "strength": float(strength),
                "cos_previous": None if previous is None else float(previous @ v),
                "cos_final": float(v @ final),
            }
        )
        previous = v
    return rows


_DRIFT_SCHEMA = pl.Schema(
    {
        "user_id": pl.Int64(),
        "step": pl.Int64(),
        "at": pl.Datetime("us", "UTC"),
        "film_id": pl.Int64(),
        "strength": pl.Float64(),
        "cos_previous": pl.Float64(),
        "cos_final": pl.Float64(),
    }
)


def trajectory_drift(user_id: int, trajectory) -> pl.DataFrame:
    """``Service.taste_trajectory(user)`` as a frame: after each signal, how far the vector
    turned (``cos_previous``) and how close it already was to where it ended (``cos_final``)."""
    return pl.DataFrame(_drift_rows(user_id, trajectory), schema=_DRIFT_SCHEMA)


def drift(
    ratings: pl.DataFrame,
    catalogue: Catalogue,
    rule: UserModel,
    users: Sequence[int] | None = None,
    film_vector: Callable[[int], np.ndarray] | None = None,
) -> pl.DataFrame:
    """The same as ``trajectory_drift`` for many users at once, replaying their ratings (oldest
    first) through the learning rule; no database needed (ratings only, no feedback).
    ``film_vector``: a film id's vector in the space the taste vectors live in (a serving
    process's ``Engine.film_vector``, with published film vectors); the content vectors if None."""
    frame = ratings if users is None else ratings.filter(pl.col("user_id").is_in(list(users)))
    frame = frame.sort("rated_at", "user_id", "film_id")
    model = OnlineUserModel(rule, film_vector or catalogue.vector)
    steps: dict[int, list] = {}
    for uid, fid, stars, at in frame.select("user_id", "film_id", "stars", "rated_at").iter_rows():
        if catalogue.position(fid) is None:
            continue
        strength = signals.stars_strength(stars)
        model.learn_one(uid, fid, strength)
        steps.setdefault(uid, []).append((at, fid, strength, model.vector(uid)))
    rows = [row for uid in sorted(steps) for row in _drift_rows(uid, steps[uid])]
    return pl.DataFrame(rows, schema=_DRIFT_SCHEMA)


def nearest_films(vector: np.ndarray, catalogue: Catalogue, k: int = 10, exclude: Iterable[int] = ()) -> pl.DataFrame:
    """The ``k`` films whose content vectors point closest to ``vector`` (cosine; ties by id)."""
    sims = catalogue.matrix @ np.asarray(vector, np.float32)
    keep = np.ones(len(catalogue), bool)
    excluded = catalogue.positions(list(exclude))
    keep[excluded] = False
    cand = np.flatnonzero(keep)
    best = cand[ranker.top_k(sims[cand], catalogue.ids[cand], k)]
    return pl.DataFrame(
        {
            "rank": list(range(1, len(best) + 1)),
            "film_id": [int(catalogue.ids[i]) for i in best],
            "title": [catalogue.films[i].label for i in best],
            "genres": [list(catalogue.films[i].genres) for i in best],
            "cosine": [float(sims[i]) for i in best],
        },
        schema={
            "rank": pl.Int64,
            "film_id": pl.Int64,
            "title": pl.String,
            "genres": pl.List(pl.String),
            "cosine": pl.Float64,
        },
    )


@dataclass(frozen=True)
class Projection:
    points: pl.DataFrame  # kind ("film"/"user"), id, label, x, y
    explained_variance: tuple[float, float]  # share of the variance along x and along y


def pca_2d(
    catalogue: Catalogue,
    user_ids: np.ndarray | None = None,
    user_matrix: np.ndarray | None = None,
    *,
    max_films: int | None = 2000,
    seed: int = 0,
) -> Projection:
    """Project films and users on the two main axes of the films' content vectors.

    The axes come from the films (the space every user vector is a combination of), so users
    land among the films they lean towards. ``max_films`` samples films to keep plots readable.
    """
    matrix = catalogue.matrix.astype(np.float64)
    pick = np.arange(len(catalogue))
    if max_films is not None and len(pick) > max_films:
        pick = np.sort(np.random.default_rng(seed).choice(len(pick), max_films, replace=False))
    centre = matrix.mean(axis=0)
    _, s, vt = np.linalg.svd(matrix - centre, full_matrices=False)
    axes = vt[:2]
    axes = axes * np.where(axes.sum(axis=1, keepdims=True) < 0, -1.0, 1.0)  # a fixed orientation
    variance = s**2
    total = float(variance.sum())
    explained = (float(variance[0]) / total, float(variance[1]) / total) if total else (0.0, 0.0)
    film_xy = (matrix[pick] - centre) @ axes.T
    kinds = ["film"] * len(pick)
    ids = [int(catalogue.ids[i]) for i in pick]
    labels = [catalogue.films[i].label for i in pick]
    xy = [film_xy]
    if user_ids is not None and user_matrix is not None and len(user_ids):
        xy.append((np.asarray(user_matrix, np.float64) - centre) @ axes.T)
        kinds += ["user"] * len(user_ids)
        ids += [int(u) for u in user_ids]
        labels += [f"user {int(u)}" for u in user_ids]
    points = np.vstack(xy)
    frame = pl.DataFrame(
        {"kind": kinds, "id": ids, "label": labels, "x": points[:, 0], "y": points[:, 1]},
        schema={"kind": pl.String, "id": pl.Int64, "label": pl.String, "x": pl.Float64, "y": pl.Float64},
    )
    return Projection(frame, explained)
