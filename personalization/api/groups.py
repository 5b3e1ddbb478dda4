"""``GET /groups/recommendations``: films for a watch party (``Service.group_recommend``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Query

from personalization.api.schemas import check_text

__all__ = ["add_groups_route"]

MAX_USER_ID = 2**63 - 1


def add_groups_route(app: FastAPI, svc: Any, read: list[Any]) -> None:
    """Register the route on ``app`` over the service ``svc``, behind the read-key check."""

    @app.get(
        "/groups/recommendations",
        tags=["users"],
        dependencies=read,
        summary="Films for a watch party: none of the members has seen them, each with every member's predicted stars",
        description=(
            "Pass `users` once per member (2 to 25 different ids): `?users=1&users=2`. Each member's liking of a "
            "film is predicted in stars (0.5-5) from their own ratings; `strategy` makes the group's order: "
            "`average` (the mean), `least_misery` (the least happy member's stars; a film anyone is predicted to "
            "hate, below 2 stars, is never proposed) or `approval` (how many members are predicted to like it, "
            "3.5 stars or more). An unknown member is a 404; fewer than 2 members, an unknown strategy or mood "
            "a 422 that lists the known ones."
        ),
    )
    def get_group_recommendations(
        users: Annotated[
            list[Annotated[int, Query(ge=0, le=MAX_USER_ID)]],
            Query(min_length=1, max_length=100, description="A member's user id; repeat for each member."),
        ],
        k: Annotated[int, Query(ge=1, le=100, description="How many films (1-100).")] = 10,
        strategy: Annotated[
            str, Query(min_length=1, max_length=50, description="average, least_misery or approval.")
        ] = "least_misery",
        mood: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=50,
                description="Only films in this mood: uplifting, dark, thrilling, cozy, mind-bending, romantic, "
                "scary, funny, epic or thoughtful.",
            ),
        ] = None,
    ) -> dict[str, Any]:
        check_text(strategy, "strategy")
        if mood is not None:
            check_text(mood, "mood")
        result: dict[str, Any] = svc.group_recommend(users, k, strategy=strategy, mood=mood).to_dict()
        return result
