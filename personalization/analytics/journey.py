"""One user's journey: what the engine shows after their 5th, 10th, 20th, 50th rating.

``replay_journey`` replays a real user's ratings, oldest first, as a *new* user through the
service (``Service.rate``: the same transaction as the bot), and at each checkpoint records the
top-10 recommendations and the vector. The result is tidy frames for a notebook or dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from personalization.analytics.embeddings import nearest_films

__all__ = ["Journey", "replay_journey"]


@dataclass
class Journey:
    user_id: int  # the new user the ratings were replayed as
    source_user: int  # whose ratings they were
    recommendations: pl.DataFrame  # checkpoint, rank, film_id, title, genres, score, personal, base, mode, hit
    vectors: pl.DataFrame  # checkpoint, cos_final, cos_previous, top_genres
    nearest: pl.DataFrame  # checkpoint, rank, film_id, title, cosine (closest unrated films)
    snapshots: dict  # checkpoint -> the user's vector then


def replay_journey(
    service,
    source_user: int,
    *,
    new_user: int,
    ratings: pl.DataFrame,
    checkpoints=(5, 10, 20, 50),
    k: int = 10,
    forget_source: bool = False,
) -> Journey:
    """Replay ``source_user``'s rows of ``ratings`` as ``new_user``, stopping at ``checkpoints``.

    ``hit`` marks recommended films the source user went on to rate 4 stars or more later: the
    recommendations tested against what really happened next. That test is only fair if the
    collaborative models have not already seen those later ratings: ``forget_source=True``
    deletes the source user from the database first (only ever on a sandbox).
    """
    rows = ratings.filter(pl.col("user_id") == source_user).sort("rated_at", "film_id")
    if rows.height < max(checkpoints):
        raise ValueError(f"user {source_user} has {rows.height} ratings; checkpoints need {max(checkpoints)}")
    events = rows.select("film_id", "stars", "rated_at").rows()
    if forget_source:
        service.forget(source_user)
    cat = service.catalogue()
    recs, vecs, near = [], [], []
    snapshots: dict[int, np.ndarray] = {}
    done = 0
    for checkpoint in sorted(checkpoints):
        for film_id, stars, at in events[done:checkpoint]:
            service.rate(new_user, film_id, stars, at=at)
        done = checkpoint
        liked_later = {f for f, s, _ in events[checkpoint:] if s >= 4.0}
        result = service.recommend(new_user, k)
        for rank, r in enumerate(result.items, start=1):
            recs.append(
                {
                    "checkpoint": checkpoint,
                    "rank": rank,
                    "film_id": r.film.id,
                    "title": r.film.label,
                    "genres": ", ".join(r.film.genres),
                    "score": r.score,
                    "personal": r.personal,
                    "base": r.base,
                    "mode": result.mode,
                    "hit": r.film.id in liked_later,
                }
            )
        vector, _ = service.user_vector(new_user)
        snapshots[checkpoint] = vector
        rated = [f for f, _, _ in events[:checkpoint]]
        nf = nearest_films(vector, cat, k=5, exclude=rated)
        near.append(nf.select(pl.lit(checkpoint).alias("checkpoint"), pl.all().exclude("genres")))
        profile = service.profile(new_user)
        vecs.append(
            {
                "checkpoint": checkpoint,
                "top_genres": ", ".join(f.name for f in profile.genres[:3]),
                "mean_rating": profile.mean_rating,
                "hits_in_top_k": sum(1 for r in recs if r["checkpoint"] == checkpoint and r["hit"]),
            }
        )
    final = snapshots[max(snapshots)]
    previous = None
    for row in vecs:
        v = snapshots[row["checkpoint"]]
        row["cos_final"] = float(v @ final)
        row["cos_previous"] = None if previous is None else float(v @ previous)
        previous = v
    return Journey(new_user, source_user, pl.DataFrame(recs), pl.DataFrame(vecs), pl.concat(near), snapshots)
