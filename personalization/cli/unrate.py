"""``cinesync unrate USER FILM``: remove one rating, as if it had never been given."""

from __future__ import annotations

import click

from personalization.cli.context import Context, pass_ctx, plural

__all__ = ["unrate_command"]


@click.command("unrate")
@click.argument("user", type=int)
@click.argument("film", type=int)
@pass_ctx
def unrate_command(ctx: Context, user: int, film: int) -> None:
    """Remove USER's rating of FILM, as if it had never been given.

    The taste vector is rebuilt from the ratings and feedback that remain, and every running
    process (bot, dashboard, API) drops what it cached about USER. A film USER has not rated is
    an error and changes nothing. To change a rating instead, `cinesync rate` it again.
    """
    with ctx.service() as svc:
        r = svc.unrate(user, film)
        title = svc.film(film).label
        needed = "" if r.personalised else f"; {svc.model_settings.min_ratings} needed for personal picks"
    stars = f"{r.stars:g} {'star' if r.stars == 1 else 'stars'}"
    click.echo(f"user {r.user_id} un-rated {title} (was {stars}; {plural(r.n_ratings, 'rating')} left{needed})")
