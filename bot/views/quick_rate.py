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

__all__ = [
    "QuickRateView",
    "GenrePickView",
    "start_quick_rating",
    "start_onboarding",
    "genre_options",
    "start_embed",
    "QUICK_BATCH",
    "MAX_PICKED_GENRES",
]

log = logging.getLogger("cinesync.bot")

QUICK_BATCH = 5
MAX_PICKED_GENRES = 5  # genres a member may pick at /start


# -- quick rating --------------------------------------------------------------------------------
class QuickRateView(OwnedView):
    """One card at a time: star buttons (whole stars), a menu (half stars), Skip and Done.

    With ``refill`` the next cards come from the service's onboarding choice (``films_to_rate``:
    films that split opinion, unlike each other, never rated, not skipped this round), asked
    again after every rating so they adapt to the answers (and to ``genres``, the genres picked at
    /start, whose films come first); without it, it stops after the given films.
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
        genres: Sequence[str] = (),
        timeout: float = 600.0,
    ):
        super().__init__(owner_id, timeout=timeout)
        self.service, self.min_ratings, self.refill = service, min_ratings, refill
        self.genres = list(genres)
        self.queue = list(films)
        self.skipped: set[int] = set()  # this round's skipped films: not shown again
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
        await self._advance(interaction, answered=True)

    async def _skip(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        if self.current is not None:
            self.skipped.add(self.current.id)
            self.last = shorten(f"skipped {fmt.film_label(self.current, 60)}", 120)
        await self._advance(interaction, answered=False)

    async def _done(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await self.finish(interaction, embed=self._done_embed(out_of_films=False))

    def _done_embed(self, *, out_of_films: bool) -> discord.Embed:
        return fmt.quick_done_embed(self.n_signals, self.min_ratings, self.rated_now, out_of_films=out_of_films)

    async def _advance(self, interaction: discord.Interaction, *, answered: bool) -> None:
        if self.queue:
            self.queue.pop(0)
        if self.refill and (answered or not self.queue):  # an answer changes what is worth asking
            self.queue = await self.service.films_to_rate(
                self.owner_id, QUICK_BATCH, genres=self.genres or None, exclude=sorted(self.skipped)
            )
        if not self.queue:  # a single-film card simply ends; the quick flow ran out of films
            return await self.finish(interaction, embed=self._done_embed(out_of_films=self.refill))
        await interaction.edit_original_response(embed=self.card(), view=self)


async def start_quick_rating(
    service: AsyncService, interaction: discord.Interaction, genres: Sequence[str] = ()
) -> QuickRateView | None:
    """Send the first quick-rating card as an ephemeral followup (the interaction is deferred)."""
    user_id = interaction.user.id
    min_ratings = service.model_settings.min_ratings
    films = await service.films_to_rate(user_id, QUICK_BATCH, genres=list(genres) or None)
    n_signals = await signal_count(service, user_id)
    if not films:
        await send_view(interaction, embed=fmt.quick_done_embed(n_signals, min_ratings, 0, out_of_films=True))
        return None
    view = QuickRateView(service, user_id, films, n_signals=n_signals, min_ratings=min_ratings, genres=genres)
    await send_view(interaction, view, embed=view.card())
    return view


# -- /start: pick genres, then the cards ----------------------------------------------------------
def genre_options(genres_of_films: Sequence[Sequence[str]], limit: int = limits.SELECT_OPTIONS) -> list[str]:
    """The genres a select can offer (Discord allows 25 options): the most common ``limit``, by name."""
    counts: dict[str, int] = {}
    for genres in genres_of_films:
        for g in genres:
            counts[g] = counts.get(g, 0) + 1
    common = sorted(counts, key=lambda g: (-counts[g], g))[:limit]
    return sorted(common)


def start_embed(n_signals: int, min_ratings: int) -> discord.Embed:
    lines = [
        f"Pick up to {MAX_PICKED_GENRES} genres you like (or **Any genre**), then rate a few films card by card.",
        "The cards are films people disagree about, so each answer tells the picks the most;",
        "they follow your answers as you go. Skip any film you have not seen.",
        "",
        fmt.progress_text(n_signals, min_ratings) + ".",
    ]
    return fmt.fit_embed(
        discord.Embed(
            title="Welcome to CineSync", colour=fmt.BRAND, description=fmt.fit_lines(lines, limits.EMBED_DESCRIPTION)
        )
    )


class GenrePickView(OwnedView):
    """/start: a genre menu and an **Any genre** button; either one turns the message into the
    quick-rating cards (films of the picked genres first)."""

    def __init__(self, service: AsyncService, owner_id: int, genres: Sequence[str], *, timeout: float = 600.0):
        super().__init__(owner_id, timeout=timeout)
        self.service = service
        self.cards: QuickRateView | None = None  # the cards that replaced this view
        options = list(genres)[: limits.SELECT_OPTIONS]
        self.menu = CallbackSelect(
            self._picked,
            placeholder=shorten("Genres you like…", limits.SELECT_PLACEHOLDER),
            custom_id="start:genres",
            row=0,
            min_values=1,
            max_values=max(1, min(MAX_PICKED_GENRES, len(options))),
            options=[discord.SelectOption(label=shorten(g, limits.SELECT_OPTION_LABEL), value=g) for g in options],
        )
        if options:
            self.add_item(self.menu)
        self.add_item(
            CallbackButton(
                self._any, label="Any genre", style=discord.ButtonStyle.secondary, custom_id="start:any", row=1
            )
        )

    async def _picked(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await self._start(interaction, list(self.menu.values))

    async def _any(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await self._start(interaction, [])

    async def _start(self, interaction: discord.Interaction, genres: list[str]) -> None:
        service, user_id = self.service, self.owner_id
        min_ratings = service.model_settings.min_ratings
        films = await service.films_to_rate(user_id, QUICK_BATCH, genres=genres or None)
        n_signals = await signal_count(service, user_id)
        self.stop()
        if not films:
            self.disable()
            embed = fmt.quick_done_embed(n_signals, min_ratings, 0, out_of_films=True)
            await interaction.edit_original_response(embed=embed, view=self)
            return
        cards = self.cards = QuickRateView(
            service, user_id, films, n_signals=n_signals, min_ratings=min_ratings, genres=genres
        )
        cards.message = self.message
        await interaction.edit_original_response(embed=cards.card(), view=cards)


async def start_onboarding(service: AsyncService, interaction: discord.Interaction) -> GenrePickView:
    """Send the /start message: the genre menu (the interaction is deferred)."""
    catalogue = await service.catalogue()
    view = GenrePickView(service, interaction.user.id, genre_options([f.genres for f in catalogue.films]))
    n_signals = await signal_count(service, interaction.user.id)
    await send_view(interaction, view, embed=start_embed(n_signals, service.model_settings.min_ratings))
    return view


# -- feedback on recommendations ----------------------------------------------------------------
