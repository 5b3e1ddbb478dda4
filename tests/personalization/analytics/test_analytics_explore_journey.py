"""The exploration summaries and one user's journey."""

from __future__ import annotations

import polars as pl
import pytest

from personalization.analytics import explore, journey


def test_summaries_add_up(demo_tables):
    r, m = demo_tables.ratings, demo_tables.movies
    ov = explore.overview(r, m).row(0, named=True)
    assert (ov["films"], ov["ratings"]) == (400, r.height)
    stars = explore.star_distribution(r)
    assert stars.height == 10 and stars["count"].sum() == r.height
    assert abs(stars["share"].sum() - 1) < 1e-12
    per_user = explore.ratings_per_user(r)
    assert per_user["n_ratings"].sum() == r.height and per_user["n_ratings"].is_sorted(descending=True)
    genres = explore.genre_summary(r, m)
    assert genres["films"].sum() == m["genres"].list.len().sum()
    decades = explore.decade_summary(r, m)
    assert decades["ratings"].sum() == r.height  # every synthetic film has a year
    top = explore.top_people(r, m, "directors", min_ratings=5, n=3)
    assert top.height <= 3 and (top["ratings"] >= 5).all()
    assert top["mean_stars"].is_sorted(descending=True)
    with pytest.raises(ValueError):
        explore.top_people(r, m, "writers")
    assert explore.ratings_over_time(r, "1w")["ratings"].sum() == r.height


def test_journey_checkpoints(demo_service, demo_tables):
    source = explore.ratings_per_user(demo_tables.ratings)["user_id"][0]
    later = demo_tables.ratings.filter(pl.col("user_id") == source).sort("rated_at", "film_id")
    trip = journey.replay_journey(
        demo_service, source, new_user=900_000, ratings=demo_tables.ratings, checkpoints=(5, 10, 20), forget_source=True
    )
    assert demo_service.user_vector(source) is None  # forgotten first
    assert trip.vectors["checkpoint"].to_list() == [5, 10, 20]
    assert abs(trip.vectors["cos_final"][-1] - 1.0) < 1e-6
    first5 = set(later["film_id"].head(5))
    recs5 = trip.recommendations.filter(pl.col("checkpoint") == 5)
    assert recs5.height == 10 and not first5 & set(recs5["film_id"])  # rated films never come back
    liked_later = set(later.slice(5).filter(pl.col("stars") >= 4)["film_id"])
    assert recs5["hit"].to_list() == [f in liked_later for f in recs5["film_id"]]
    assert demo_service.history(900_000)[0].keys() == set(later["film_id"].head(20))
    with pytest.raises(ValueError):
        journey.replay_journey(demo_service, source, new_user=1, ratings=demo_tables.ratings, checkpoints=(10_000,))
