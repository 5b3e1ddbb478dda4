"""``cinesync group USER USER ...``: films for a watch party, with each member's predicted stars."""

from __future__ import annotations

from typing import Any

import click

from personalization.cli.context import Context, echo_json, pass_ctx, plural
from personalization.errors import CineSyncError

__all__ = ["group_command", "format_group"]

STRATEGIES = ("average", "least_misery", "approval")  # core.group.STRATEGIES (not imported: --help stays light)
MOODS = (
    "uplifting",
    "dark",
    "thrilling",
    "cozy",
    "mind-bending",
    "romantic",
    "scary",
    "funny",
    "epic",
    "thoughtful",
)  # core.moods.MOODS; a test checks both lists agree


def _mood_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The mood's own name, matched as the service and the HTTP API match it (any case, spaces
    or hyphens: "Mind Bending" is mind-bending)."""
    if value is None:
        return None
    from personalization.core.moods import check_mood

    try:
        return check_mood(value).name
    except CineSyncError as exc:
        raise click.BadParameter(str(exc)) from None


def mood_option(help: str) -> Any:
    """``--mood``, for ``recommend`` and ``group``: one of ``MOODS``, however it is spelt."""
    return click.option("--mood", callback=_mood_name, metavar="MOOD", help=f"{help} One of: {', '.join(MOODS)}.")


GROUP_SCORE = {
    "average": "the members' mean predicted stars",
    "least_misery": "the least happy member's predicted stars",
    "approval": "how many members are predicted to like it",
}


@click.command("group")
@click.argument("users", nargs=-1, required=True, type=int)
@click.option(
    "-k", "count", default=10, show_default=True, type=click.IntRange(1, 100), help="How many films (1 to 100)."
)
@click.option(
    "--strategy",
    type=click.Choice(STRATEGIES),
    default="least_misery",
    show_default=True,
    help="How the members' predicted stars make the group's order: average (the mean; a film one "
    "member loves and another hates can win), least_misery (the least happy member's stars; a film "
    "anyone is predicted to hate, below 2 stars, is never proposed), approval (how many members "
    "are predicted to like it, 3.5 stars or more).",
)
@mood_option("Only films in this mood (docs/moods.md).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def group_command(
    ctx: Context, users: tuple[int, ...], count: int, strategy: str, mood: str | None, as_json: bool
) -> None:
    """Films for a watch party of USERS (2 to 25): films none of them rated or reacted to, ranked
    for the group, each with every member's predicted stars (0.5-5, from their own ratings) so
    nobody is sacrificed silently.

    \b
    cinesync group 17 42 -k 5
    cinesync group 17 42 99 --strategy approval --mood cozy --json
    """
    with ctx.service() as svc:
        picks = svc.group_recommend(list(users), count, strategy=strategy, mood=mood)
    if as_json:
        echo_json(picks.to_dict())
        return
    click.echo(format_group(picks))


def format_group(picks: Any) -> str:
    """A header, then one line per film: the group's score and each member's predicted stars."""
    members = picks.user_ids
    mood = f", mood {picks.mood}" if picks.mood else ""
    lines = [
        f"watch party of {plural(len(members), 'member')} ({', '.join(map(str, members))}): "
        f"{picks.strategy}{mood}; predicted stars per member, hate below {picks.hate_stars:g}, "
        f"like from {picks.like_stars:g}"
    ]
    if picks.no_taste:
        lines.append(
            f"  (no taste learned yet for {', '.join(map(str, picks.no_taste))}: their mean rating for every film)"
        )
    lines.append(f"{'#':>3}  {'group':>5}  " + "  ".join(f"{str(u)[-6:]:>6}" for u in members) + "  film")
    for i, p in enumerate(picks.items, 1):
        score = f"{p.score:5.0f}" if picks.strategy == "approval" else f"{p.score:5.2f}"
        each = "  ".join(f"{p.likings[u]:6.1f}" for u in members)
        label = p.film.label if len(p.film.label) <= 50 else p.film.label[:49] + "…"
        lines.append(f"{i:>3}  {score}  {each}  {label}  [{', '.join(p.film.genres)}]")
    if not picks.items:
        lines.append("  (no film left that suits everyone: try another strategy or mood)")
    lines.append(f"  group = {GROUP_SCORE.get(picks.strategy, picks.strategy)}")
    return "\n".join(lines)
