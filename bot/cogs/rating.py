"""``/rate``: one film with its stars, or (no film given) the quick-rating cards; ``/start``: pick
genres you like, then the cards (films of those genres first)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from personalization.core.catalogue import Film
from personalization.core.preferences import STAR_STEPS
from personalization.errors import CineSyncError, UnknownFilm
from personalization.service import AsyncService

from .. import formatting as fmt
from .. import limits
from ..views import QuickRateView, remember_name, send_view, signal_count, start_quick_rating
from ..views.quick_rate import start_onboarding
from .base import ServiceCog

__all__ = ["Rating", "film_choices", "resolve_film"]

log = logging.getLogger("cinesync.bot")

STAR_CHOICES = [app_commands.Choice(name=fmt.star_choice_name(s), value=s) for s in STAR_STEPS]


async def film_choices(service: AsyncService, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete: titles containing what was typed, "Title (Year)", the film id as value."""
    films = await service.search_films(current or "", limits.CHOICES)
    return [
        app_commands.Choice(name=fmt.film_label(f, limits.CHOICE_NAME), value=str(f.id))
        for f in films[: limits.CHOICES]
    ]


async def resolve_film(service: AsyncService, text: str) -> Film:
    """The film the person meant: an id picked from autocomplete, else the best title match."""
    text = (text or "").strip()
    if text.isdigit():
        try:
            return await service.film(int(text))
        except UnknownFilm:  # its message speaks to whoever imports the catalogue, not to a member
            pass
    found = await service.search_films(text, 1)
    if not found:
        raise CineSyncError(
            f"No film matches {limits.shorten(text, 80)!r}: start typing a title and pick one from the list."
        )
    return found[0]


class Rating(ServiceCog):
    @app_commands.command(
        name="rate",
        description="Rate a film from ½ to 5 stars, or leave out the film to rate popular films card by card",
    )
    @app_commands.describe(
        film="Start typing a title and pick it from the list", stars="Your rating; leave it out to choose on a card"
    )
    @app_commands.choices(stars=STAR_CHOICES)
    async def rate(
        self, interaction: discord.Interaction, film: str | None = None, stars: app_commands.Choice[float] | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        user_id = interaction.user.id
        if film is None:
            await start_quick_rating(self.service, interaction)
            return
        chosen = await resolve_film(self.service, film)
        min_ratings = self.service.model_settings.min_ratings
        if stars is None:  # one card for this film: the same buttons as the quick flow
            view = QuickRateView(
                self.service,
                user_id,
                [chosen],
                min_ratings=min_ratings,
                n_signals=await signal_count(self.service, user_id),
                refill=False,
            )
            await send_view(interaction, view, embed=view.card())
            return
        value = stars.value if isinstance(stars, app_commands.Choice) else stars
        result = await self.service.rate(user_id, chosen.id, value)
        await remember_name(self.service, interaction, result.n_ratings)
        n_signals = await signal_count(self.service, user_id)
        await send_view(interaction, content=fmt.rated_text(result, chosen, n_signals, min_ratings))

    @app_commands.command(
        name="start",
        description="New here? Pick genres you like, then rate a few films so your picks learn your taste",
    )
    async def start(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await start_onboarding(self.service, interaction)

    @rate.autocomplete("film")
    async def film_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        try:
            return await film_choices(self.service, current)
        except Exception:  # autocomplete errors never reach the tree's on_error
            log.exception("film autocomplete failed for %r", current)
            return []
