"""The JSON the API returns, built from the service's results (pure: no I/O, no FastAPI)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from personalization.data.links import film_urls

__all__ = ["film_dict", "similar_dict", "result_dict", "user_data_dict", "NOT_INCLUDED_IN_DATA"]

# What GET /users/{id}/data cannot show yet: the service has no verb that reads these back.
NOT_INCLUDED_IN_DATA = [
    "the kind (love, like, ...) and context of each feedback: only the films and their signal strength are listed",
]


def film_dict(film, *, metadata: bool = False) -> dict[str, Any]:
    """A film as the --json output shows it; ``metadata`` adds the free-form import metadata."""
    out = {
        "id": film.id,
        "title": film.title,
        "year": film.year,
        "label": film.label,
        "genres": list(film.genres),
        "directors": list(film.directors),
        "actors": list(film.actors),
    }
    if metadata:
        out["metadata"] = dict(film.metadata or {})
        out["links"] = film_urls(film.metadata)  # IMDb and TMDb pages, from the stored ids
    return out


def similar_dict(film_id: int, pairs) -> dict[str, Any]:
    return {"film_id": film_id, "items": [{"film": film_dict(f), "similarity": round(float(s), 6)} for f, s in pairs]}


def result_dict(result) -> dict[str, Any]:
    """A service result: its own ``to_dict`` when it has one, else its dataclass fields."""
    to_dict = getattr(result, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(result, dict):
        return result
    return asdict(result)


def user_data_dict(
    user_id: int, *, user: dict | None, profile, rated: dict[int, float], seen: set[int], signals, vector
) -> dict[str, Any]:
    """Everything the service's read verbs return about one user, in one document."""
    return {
        "user_id": user_id,
        "complete": False,
        "not_included": NOT_INCLUDED_IN_DATA,
        "user": user,
        "ratings": [{"film_id": f, "stars": s} for f, s in sorted(rated.items())],
        "feedback_only_films": sorted(set(seen) - set(rated)),
        "signals": [
            {"at": at.isoformat(), "film_id": film_id, "strength": round(float(strength), 4)}
            for at, film_id, strength, _ in signals
        ],
        "embedding": None
        if vector is None
        else {"n_ratings": int(vector[1]), "values": [round(float(x), 6) for x in vector[0]]},
        "profile": result_dict(profile),
    }
