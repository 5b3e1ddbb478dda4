"""``/unrate``: remove one of your ratings, as if you had never given it."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from personalization.errors import CineSyncError, UnknownRating

from .. import formatting as fmt
from .. import limits
from ..views import send_view, signal_count
from .base import ServiceCog
from .rating import resolve_film

__all__ = ["Unrating"]

log = logging.getLogger("cinesync.bot")


class Unrating(ServiceCog):
    @app_commands.command(name="unrate", description="Remove one of your ratings, as if you had never given it")
    @app_commands.describe(film="Start typing the title of a film you rated and pick it from the list")
    async def unrate(self, interaction: discord.Interaction, film: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        user_id = interaction.user.id
        chosen = await resolve_film(self.service, film)
        try:
            result = await self.service.unrate(user_id, chosen.id)
        except UnknownRating:  # its message names ids: say it in a member's words
            raise CineSyncError(
                f"You have not rated **{fmt.film_label(chosen, 200)}**: there is nothing to remove."
            ) from None
        n_signals = await signal_count(self.service, user_id)
        min_ratings = self.service.model_settings.min_ratings
        text = (
            f"Removed your rating of **{fmt.film_label(chosen, 200)}** (was {fmt.stars_text(result.stars)}).\n"
            f"{fmt.progress_text(n_signals, min_ratings)}."
        )
        await send_view(interaction, content=fmt.shorten_message(text))

    @unrate.autocomplete("film")
    async def rated_film_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The member's own rated films whose title contains what was typed."""
        try:
            rated, _ = await self.service.history(interaction.user.id)
            catalogue = await self.service.catalogue()
            text = (current or "").casefold()
            out = []
            for film_id in rated:
                f = catalogue.get(film_id)
                if f is not None and text in f.title.casefold():
                    out.append(app_commands.Choice(name=fmt.film_label(f, limits.CHOICE_NAME), value=str(f.id)))
                if len(out) >= limits.CHOICES:
                    break
            return out
        except Exception:  # autocomplete errors never reach the tree's on_error
            log.exception("rated-film autocomplete failed for %r", current)
            return []
