"""Embedding diagnostics: norms, drift over time, nearest films, the 2-D map."""

from __future__ import annotations

import numpy as np
import polars as pl

from personalization.analytics import embeddings


def test_norms_are_unit_for_learned_users(demo_tables):
    norms = embeddings.norms(demo_tables.user_embeddings)
    assert norms.height == 60 and norms["valid"].all()
    assert ((norms["norm"] - 1.0).abs() < 1e-3).all()


def test_drift_replays_to_the_stored_vector(demo_service, demo_tables):
    cat = demo_service.catalogue()
    # the film vectors the stored taste vectors are folded with (the published ones)
    drift = embeddings.drift(demo_tables.ratings, cat, demo_service.rule, [1, 2], demo_service.engine.film_vector)
    for user in (1, 2):
        steps = drift.filter(pl.col("user_id") == user)
        assert steps.height == demo_tables.ratings.filter(pl.col("user_id") == user).height
        assert steps["step"].to_list() == list(range(1, steps.height + 1))
        assert steps["cos_previous"][0] is None and abs(steps["cos_final"][-1] - 1.0) < 1e-6
        # the same answer as the service's own trajectory (ratings only here, no feedback)
        via_service = embeddings.trajectory_drift(user, demo_service.taste_trajectory(user))
        assert np.allclose(via_service["cos_final"].to_numpy(), steps["cos_final"].to_numpy(), atol=1e-5)
    with demo_service.repo.session() as session:  # as stored (the service would rebuild it in its space)
        stored = session.read_embedding(1).embedding
    ids, matrix = embeddings.vectors(demo_tables.user_embeddings)
    assert np.allclose(matrix[list(ids).index(1)], stored, atol=1e-6)


def test_nearest_films_skip_excluded_and_rank_by_cosine(demo_service):
    cat = demo_service.catalogue()
    vector, _ = demo_service.user_vector(3)
    rated, _ = demo_service.history(3)
    near = embeddings.nearest_films(vector, cat, k=8, exclude=rated)
    assert near.height == 8 and not set(near["film_id"]) & set(rated)
    cos = near["cosine"].to_list()
    assert cos == sorted(cos, reverse=True)
    unrated = [i for i, f in enumerate(cat.ids) if int(f) not in rated]
    assert abs(cos[0] - float(np.max(cat.matrix[unrated] @ vector))) < 1e-6


def test_pca_map_places_films_and_users(demo_service, demo_tables):
    ids, matrix = embeddings.vectors(demo_tables.user_embeddings)
    proj = embeddings.pca_2d(demo_service.catalogue(), ids, matrix, max_films=100)
    points = proj.points
    assert points.filter(pl.col("kind") == "film").height == 100
    assert points.filter(pl.col("kind") == "user").height == len(ids)
    x, y = proj.explained_variance
    assert 0 < y <= x < 1
    again = embeddings.pca_2d(demo_service.catalogue(), ids, matrix, max_films=100)
    assert again.points.equals(points)  # deterministic
