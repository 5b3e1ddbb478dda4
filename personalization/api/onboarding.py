"""``GET /users/{user_id}/onboarding``: the cards a new member should rate first."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Path, Query

from personalization.api import views
from personalization.api.schemas import check_text

__all__ = ["add_onboarding_route"]

MAX_USER_ID = 2**63 - 1
UserId = Annotated[int, Path(ge=0, le=MAX_USER_ID, description="The engine's user id (a Discord snowflake fits).")]


def add_onboarding_route(app: FastAPI, svc: Any, read: list[Any]) -> None:
    """Register the route on ``app`` over the service ``svc``, behind the read-key check."""

    @app.get(
        "/users/{user_id}/onboarding",
        tags=["users"],
        dependencies=read,
        summary="The films this user should rate next to teach the engine the most",
        description=(
            "Films that split opinion among the people who rated them, that many people know and that differ "
            "from each other; after each rating the next cards adapt (away from what was asked and disliked, "
            "towards what was liked). Never a film the user rated or hid; an unknown user is simply new. "
            "`genres` (repeat it, or separate with commas): films of those genres first; an unknown genre is "
            "a 422 that lists the known ones. `exclude` (repeat it): films to leave out too, such as those "
            "the user skipped."
        ),
    )
    def get_onboarding(
        user_id: UserId,
        n: Annotated[int, Query(ge=1, le=100, description="How many cards (1-100).")] = 5,
        genres: Annotated[
            list[Annotated[str, Query(min_length=1, max_length=200)]] | None,
            Query(max_length=50, description="Genres the user likes (their films first)."),
        ] = None,
        exclude: Annotated[
            list[Annotated[int, Query(ge=1, le=2**31 - 1)]] | None,
            Query(max_length=1000, description="Films to leave out too, e.g. those the user skipped (repeat it)."),
        ] = None,
    ) -> dict[str, Any]:
        wanted = [g.strip() for value in genres or [] for g in value.split(",") if g.strip()]
        for g in wanted:
            check_text(g, "genres")
        films = svc.films_to_rate(user_id, n, genres=wanted or None, exclude=exclude or ())
        return {"user_id": user_id, "genres": wanted, "items": [views.film_dict(f) for f in films]}
