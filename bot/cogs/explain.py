"""``/why film``: why a film would be picked for you, from the scores that rank it."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from personalization.errors import UnknownUser
from personalization.service.explain import AlreadySeen

from .. import limits
from ..formatting import BRAND, film_label, fit_embed, stars_text
from ..limits import fit_lines, shorten
from ..views import send_view
from .base import ServiceCog
from .rating import film_choices, resolve_film

__all__ = ["Why", "why_embed", "NOTHING_RATED", "SHOWN_FILMS"]

log = logging.getLogger("cinesync.bot")
SHOWN_FILMS = 5
NOTHING_RATED = "You have not rated anything yet: **/rate** a few films, then ask **/why** about a pick."


def _told(h: Any) -> str:
    """What the person told about a history film: their stars, or their reaction."""
    if h.feedback:
        return h.feedback.replace("_", " ")
    return stars_text(h.stars) if h.stars is not None else "rated"


def why_embed(e: Any) -> discord.Embed:
    """The explanation (``Service.explain``'s) as an embed: the reasons, the films of yours that
    moved the score most (either way), and how the score is made term by term."""
    title = f"Why {film_label(e.film, limits.EMBED_TITLE - 10)}"
    lines = [f"• {r}" for r in e.reasons]
    place = f"It would be **#{e.rank}** of {e.candidates:,} films you have not seen (score {e.score:.2f})."
    embed = discord.Embed(
        title=shorten(title, limits.EMBED_TITLE),
        colour=BRAND,
        description=fit_lines([*lines, "", place], limits.EMBED_DESCRIPTION),
    )
    films = [
        f"{h.contribution:+.2f} · {film_label(h.film, 80)} (you: {_told(h)})"
        for h in e.history[:SHOWN_FILMS]
        if h.contribution
    ]
    if films:
        embed.add_field(
            name="Your films that moved it most (score with each minus without it)",
            value=fit_lines(films, limits.FIELD_VALUE),
            inline=False,
        )
    terms = [f"{t.term}: {t.weight:.0%} of the blend × {t.score:.2f} = {t.part:.2f}" for t in e.terms if t.weight]
    embed.add_field(name="How the score is made", value=fit_lines(terms, limits.FIELD_VALUE), inline=False)
    measured = f"{e.films_measured} of your {e.n_history} films measured"
    embed.set_footer(text=shorten(f"{measured} · each by leaving it out and scoring again", limits.FOOTER))
    return fit_embed(embed)


class Why(ServiceCog):
    @app_commands.command(name="why", description="Why a film would be picked for you: the films and tastes behind it")
    @app_commands.describe(film="Start typing a title and pick it from the list (a film you have not rated)")
    async def why(self, interaction: discord.Interaction, film: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        chosen = await resolve_film(self.service, film)
        try:
            explanation = await self.service.explain(interaction.user.id, chosen.id)
        except UnknownUser:
            await send_view(interaction, content=NOTHING_RATED)
            return
        except AlreadySeen:
            text = (
                f"You already rated or reacted to **{film_label(chosen, 200)}**, so it is never one of your "
                "picks. Ask **/why** about a film from **/my_recommendations**."
            )
            await send_view(interaction, content=shorten(text, limits.MESSAGE))
            return
        await send_view(interaction, embed=why_embed(explanation))

    @why.autocomplete("film")
    async def film_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        try:
            return await film_choices(self.service, current)
        except Exception:  # autocomplete errors never reach the tree's on_error
            log.exception("film autocomplete failed for %r", current)
            return []
