"""``cinesync onboard USER``: the cards a new member should rate first."""

from __future__ import annotations

from typing import Any

import click

from personalization.cli.context import Context, echo_json, pass_ctx

__all__ = ["onboard_command", "format_cards"]


@click.command("onboard")
@click.argument("user", type=int)
@click.option(
    "--genres",
    "genres",
    multiple=True,
    metavar="GENRE[,GENRE...]",
    help="Genres the member likes: their films come first (repeat the option or separate with commas).",
)
@click.option("-n", "n", default=5, show_default=True, type=click.IntRange(1, 100), help="How many cards.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def onboard_command(ctx: Context, user: int, genres: tuple[str, ...], n: int, as_json: bool) -> None:
    """The films USER should rate next to teach the engine the most.

    Cards are films that split opinion among the people who rated them, that many people know,
    and that differ from each other; after each rating the next cards adapt (away from what was
    asked and disliked, towards what was liked). A film USER rated or hid never comes back.
    With --genres, films of those genres come first; an unknown genre lists the known ones.
    Rate a card with `cinesync rate USER FILM STARS`, then ask again. How the choice was made
    and measured: docs/onboarding.md.
    """
    wanted = [g.strip() for value in genres for g in value.split(",") if g.strip()]
    with ctx.service() as svc:
        films = svc.films_to_rate(user, n, genres=wanted or None)
    if as_json:
        echo_json([{"id": f.id, "title": f.title, "year": f.year, "genres": list(f.genres)} for f in films])
        return
    click.echo(format_cards(films, user))


def format_cards(films: list[Any], user: int) -> str:
    if not films:
        return f"user {user} has nothing left to rate: every film is rated or hidden"
    lines = [f"cards for user {user} (rate with: cinesync rate {user} FILM STARS)"]
    for i, f in enumerate(films, 1):
        genres = ", ".join(f.genres) or "no genre"
        lines.append(f"{i:>3}. {f.label}  [{genres}]  film {f.id}")
    return "\n".join(lines)
