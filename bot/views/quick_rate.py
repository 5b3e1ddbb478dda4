"""Quick rating: one card at a time, star buttons, a half-star menu, Skip and Done."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord

from personalization.core.catalogue import Film
from personalization.core.preferences import STAR_STEPS
from personalization.service import AsyncService

from .. import formatting as fmt
from .. import limits
from ..limits import shorten
from .base import (
    Callback,
    CallbackButton,
    CallbackSelect,
    OwnedView,
    button_label,
    remember_name,
    send_view,
    signal_count,
)

__all__ = ["QuickRateView", "start_quick_rating", "QUICK_BATCH"]

log = logging.getLogger("cinesync.bot")

QUICK_BATCH = 5


# -- quick rating --------------------------------------------------------------------------------
class QuickRateView(OwnedView):
    """One card at a time: star buttons (whole stars), a menu (half stars), Skip and Done.

    With ``refill`` it asks the service for more films when the cards run out (popular, diverse,
    not yet rated, not skipped this round); without it, it stops after the given films.
    """

    def __init__(
        self,
        service: AsyncService,
        owner_id: int,
        films: Sequence[Film],
        *,
        n_signals: int,
        min_ratings: int,
        refill: bool = True,
        timeout: float = 600.0,
    ):
        super().__init__(owner_id, timeout=timeout)
        self.service, self.min_ratings, self.refill = service, min_ratings, refill
        self.queue = list(films)
        self.seen = {f.id for f in films}
        self.n_signals, self.rated_now = n_signals, 0  # films rated or reacted to; rated here
        self.last: str | None = None
        for stars in (1, 2, 3, 4, 5):
            self.add_item(
                CallbackButton(
                    self._rate_button(float(stars)),
                    label=button_label("★" * stars),
                    style=discord.ButtonStyle.primary,
                    custom_id=f"quick:stars:{stars}",
                    row=0,
                )
            )
        self.menu = CallbackSelect(
            self._rate_menu,
            placeholder=shorten("Or pick half stars…", limits.SELECT_PLACEHOLDER),
            custom_id="quick:half",
            row=1,
            options=[
                discord.SelectOption(label=shorten(fmt.star_choice_name(s), limits.SELECT_OPTION_LABEL), value=f"{s:g}")
                for s in STAR_STEPS
            ],
        )
        self.add_item(self.menu)
        self.add_item(
            CallbackButton(self._skip, label="Skip", style=discord.ButtonStyle.secondary, custom_id="quick:skip", row=2)
        )
        self.add_item(
            CallbackButton(self._done, label="Done", style=discord.ButtonStyle.success, custom_id="quick:done", row=2)
        )

    @property
    def current(self) -> Film | None:
        return self.queue[0] if self.queue else None

    def card(self) -> discord.Embed:
        """The current film's card; the closing summary once there is no film left."""
        film = self.current
        if film is None:
            return self._done_embed(out_of_films=self.refill)
        return fmt.quick_card_embed(film, self.n_signals, self.min_ratings, rated_now=self.rated_now, last=self.last)

    def _rate_button(self, stars: float) -> Callback:
        async def callback(interaction: discord.Interaction) -> None:
            await self._rate(interaction, stars)

        return callback

    async def _rate_menu(self, interaction: discord.Interaction) -> None:
        await self._rate(interaction, float(self.menu.values[0]))

    async def _rate(self, interaction: discord.Interaction, stars: float) -> None:
        await interaction.response.defer()
        film = self.current
        if film is None:
            return await self.finish(interaction, embed=self._done_embed(out_of_films=True))
        result = await self.service.rate(self.owner_id, film.id, stars)
        await remember_name(self.service, interaction, result.n_ratings)
        self.n_signals = await signal_count(self.service, self.owner_id)
        self.rated_now += 1
        self.last = shorten(f"{fmt.film_label(film, 60)}: {fmt.stars_text(stars)}", 120)
        await self._advance(interaction)

    async def _skip(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        if self.current is not None:
            self.last = shorten(f"skipped {fmt.film_label(self.current, 60)}", 120)
        await self._advance(interaction)

    async def _done(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await self.finish(interaction, embed=self._done_embed(out_of_films=False))

    def _done_embed(self, *, out_of_films: bool) -> discord.Embed:
        return fmt.quick_done_embed(self.n_signals, self.min_ratings, self.rated_now, out_of_films=out_of_films)

    async def _advance(self, interaction: discord.Interaction) -> None:
        if self.queue:
            self.queue.pop(0)
        if not self.queue and self.refill:
            more = await self.service.films_to_rate(self.owner_id, QUICK_BATCH + len(self.seen))
            self.queue = [f for f in more if f.id not in self.seen][:QUICK_BATCH]
            self.seen.update(f.id for f in self.queue)
        if not self.queue:  # a single-film card simply ends; the quick flow ran out of films
            return await self.finish(interaction, embed=self._done_embed(out_of_films=self.refill))
        await interaction.edit_original_response(embed=self.card(), view=self)


async def start_quick_rating(service: AsyncService, interaction: discord.Interaction) -> QuickRateView | None:
    """Send the first quick-rating card as an ephemeral followup (the interaction is deferred)."""
    user_id = interaction.user.id
    min_ratings = service.model_settings.min_ratings
    films = await service.films_to_rate(user_id, QUICK_BATCH)
    n_signals = await signal_count(service, user_id)
    if not films:
        await send_view(interaction, embed=fmt.quick_done_embed(n_signals, min_ratings, 0, out_of_films=True))
        return None
    view = QuickRateView(service, user_id, films, n_signals=n_signals, min_ratings=min_ratings)
    await send_view(interaction, view, embed=view.card())
    return view


# -- feedback on recommendations ----------------------------------------------------------------
