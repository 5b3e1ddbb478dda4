"""The JSON the API returns, built from the service's results (pure: no I/O, no FastAPI)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from personalization.data.links import film_urls

__all__ = ["film_dict", "similar_dict", "result_dict"]


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
