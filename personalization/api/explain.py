"""``GET /users/{user_id}/explanations/{film_id}``: why a film would be picked for a member."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Path

__all__ = ["add_explain_route"]

MAX_USER_ID = 2**63 - 1
MAX_FILM_ID = 2**31 - 1
UserId = Annotated[int, Path(ge=0, le=MAX_USER_ID, description="The engine's user id (a Discord snowflake fits).")]
FilmId = Annotated[int, Path(ge=0, le=MAX_FILM_ID, description="A film the user has not rated or reacted to.")]


def add_explain_route(app: FastAPI, svc: Any, read: list[Any]) -> None:
    """Register the route on ``app`` over the service ``svc``, behind the read-key check."""

    @app.get(
        "/users/{user_id}/explanations/{film_id}",
        tags=["users"],
        dependencies=read,
        summary="Why this film would be picked for the user: its score term by term and the films behind it",
        description=(
            "The film's score as `recommend` computes it, split by term (weight x scaled score = part), "
            "the films of the user's history that moved it most (the score with the film minus the score "
            "without it, each measured by leaving it out), the taste-profile features it has and up to "
            "three reasons (the ones `recommend` shows). 404 for an unknown user or film; 422 for a film "
            "the user already rated or reacted to (picks never include those)."
        ),
    )
    def get_explanation(user_id: UserId, film_id: FilmId) -> dict[str, Any]:
        result: dict[str, Any] = svc.explain(user_id, film_id).to_dict()
        return result
