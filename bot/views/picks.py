"""The picks' view: a menu choosing one pick, then feedback buttons, "More like this", "Rate films"."""

from __future__ import annotations

import logging

import discord

from personalization.core.catalogue import Film
from personalization.errors import CineSyncError
from personalization.service import AsyncService, Recommendations

from .. import formatting as fmt
from .. import limits
from ..limits import shorten
from .base import Callback, CallbackButton, CallbackSelect, OwnedView, button_label, send_view, share, signal_count
from .quick_rate import start_quick_rating

__all__ = ["RecommendationsView"]

log = logging.getLogger("cinesync.bot")


class RecommendationsView(OwnedView):
    """A menu choosing one of the picks, then buttons for it: the five feedback kinds,
    "More like this" and, below the rating threshold, "Rate films".

    (Six buttons for each of ten picks would exceed Discord's 25 components per message, so the
    menu selects the pick the buttons act on.)
    """

    def __init__(
        self,
        service: AsyncService,
        owner_id: int,
        recs: Recommendations,
        *,
        genre: str | None = None,
        decade: int | None = None,
        timeout: float = 840.0,
    ):
        super().__init__(owner_id, timeout=timeout)
        self.service, self.recs, self.genre, self.decade = service, recs, genre, decade
        self.picks = [r.film for r in recs.items[: limits.SELECT_OPTIONS]]
        self.selected: Film | None = self.picks[0] if self.picks else None
        self.feedback: dict[int, str] = {}
        self.n_signals = recs.n_ratings  # films rated or reacted to; reactions here add to it
        self.menu = CallbackSelect(
            self._select, placeholder="Which pick?", custom_id="recs:pick", row=0, options=self._options()
        )
        if self.picks:
            self.add_item(self.menu)
            for kind, (label, emoji, _) in fmt.FEEDBACK_LABELS.items():
                self.add_item(
                    CallbackButton(
                        self._feedback_button(kind),
                        label=button_label(label),
                        emoji=emoji,
                        row=1,
                        custom_id=f"recs:feedback:{kind}",
                        style=discord.ButtonStyle.secondary,
                    )
                )
            self.add_item(
                CallbackButton(
                    self._similar,
                    label=button_label("More like this"),
                    emoji="🔎",
                    row=2,
                    custom_id="recs:similar",
                    style=discord.ButtonStyle.primary,
                )
            )
            self.add_item(
                CallbackButton(
                    self._share,
                    label=button_label("Share"),
                    emoji="📣",
                    row=2,
                    custom_id="recs:share",
                    style=discord.ButtonStyle.secondary,
                )
            )
        if recs.n_ratings < recs.min_ratings:
            self.add_item(
                CallbackButton(
                    self._quick,
                    label=button_label("Rate films"),
                    emoji="⭐",
                    row=2,
                    custom_id="recs:quick",
                    style=discord.ButtonStyle.success,
                )
            )

    def _options(self) -> list[discord.SelectOption]:
        options = []
        for i, film in enumerate(self.picks, start=1):
            mark = self.feedback.get(film.id)
            note = f"you: {fmt.FEEDBACK_LABELS[mark][0].lower()} · " if mark else ""
            options.append(
                discord.SelectOption(
                    label=shorten(
                        f"{i}. {fmt.film_label(film, limits.SELECT_OPTION_LABEL - 4)}", limits.SELECT_OPTION_LABEL
                    ),
                    value=str(film.id),
                    description=shorten(
                        note + (", ".join(film.genres) or "no genre listed"), limits.SELECT_OPTION_DESCRIPTION
                    ),
                    default=self.selected is not None and film.id == self.selected.id,
                )
            )
        return options

    def embed(self) -> discord.Embed:
        return fmt.recommendations_embed(
            self.recs, genre=self.genre, decade=self.decade, feedback=self.feedback, n_signals=self.n_signals
        )

    def _chosen(self) -> Film:
        """The pick the buttons act on (the menu always has one chosen while it has picks)."""
        if self.selected is None:
            raise CineSyncError("Choose a film from the menu first.")
        return self.selected

    async def _select(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        chosen = int(self.menu.values[0])
        self.selected = next((f for f in self.picks if f.id == chosen), self.selected)
        self.menu.options = self._options()

    def _feedback_button(self, kind: str) -> Callback:
        async def callback(interaction: discord.Interaction) -> None:
            await self.give_feedback(interaction, kind)

        return callback

    async def give_feedback(self, interaction: discord.Interaction, kind: str) -> None:
        await interaction.response.defer()
        film = self._chosen()
        rank = self.picks.index(film) + 1
        await self.service.feedback(
            self.owner_id,
            film.id,
            kind,
            context={
                "source": "discord",
                "command": "my_recommendations",
                "rank": rank,
                "mode": self.recs.mode,
                "genre": self.genre,
                "decade": self.decade,
            },
        )
        self.feedback[film.id] = kind
        self.n_signals = await signal_count(self.service, self.owner_id)
        self.menu.options = self._options()
        await interaction.edit_original_response(embed=self.embed(), view=self)
        await interaction.followup.send(fmt.feedback_text(kind, film), ephemeral=True)

    async def _similar(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        film = self._chosen()
        similar = await self.service.similar_films(film.id, 5)
        await send_view(interaction, embed=fmt.similar_embed(film, similar))

    async def _share(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        shared = fmt.recommendations_embed(self.recs, genre=self.genre, decade=self.decade, n_signals=self.n_signals)
        shared.remove_footer()  # "pick a film below" means nothing without the buttons
        await share(interaction, shared)

    async def _quick(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await start_quick_rating(self.service, interaction)


# -- forget me -----------------------------------------------------------------------------------
