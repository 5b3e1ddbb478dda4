"""``/my_recommendations``: the picks, with feedback buttons that teach the taste at once."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from personalization.core.moods import MOODS
from personalization.errors import CineSyncError
from personalization.service import AsyncService, Recommendations

from .. import formatting as fmt
from .. import limits
from ..views import RecommendationsView, send_view
from .base import ServiceCog

__all__ = ["Picks", "MoodPicksView", "genre_choices", "decade_choices", "MAX_PICKS", "MOOD_CHOICES"]

log = logging.getLogger("cinesync.bot")
MAX_PICKS = 10  # one embed field and one menu option each: well inside 25
MOOD_CHOICES = [
    app_commands.Choice(name=limits.shorten(f"{m.name}: {m.description}", limits.CHOICE_NAME), value=m.name)
    for m in MOODS.values()
]


async def genre_choices(service: AsyncService, current: str) -> list[app_commands.Choice[str]]:
    genres = (await service.catalogue()).genres()
    typed = (current or "").lower()
    hits = [g for g in genres if typed in g.lower()]
    hits.sort(key=lambda g: (not g.lower().startswith(typed), g.lower()))
    return [
        app_commands.Choice(name=limits.shorten(g, limits.CHOICE_NAME), value=limits.shorten(g, limits.CHOICE_VALUE))
        for g in hits[: limits.CHOICES]
    ]


async def decade_choices(service: AsyncService, current: str | int | None) -> list[app_commands.Choice[int]]:
    cat = await service.catalogue()
    decades = sorted({f.year // 10 * 10 for f in cat.films if f.year}, reverse=True)
    typed = str(current or "").strip().rstrip("s")
    hits = [d for d in decades if str(d).startswith(typed)] or decades
    return [app_commands.Choice(name=fmt.decade_name(d), value=d) for d in hits[: limits.CHOICES]]


async def check_genre(service: AsyncService, genre: str | None) -> str | None:
    """The catalogue's spelling of ``genre``; a clear message when there is no such genre."""
    if not genre:
        return None
    genres = (await service.catalogue()).genres()
    match = next((g for g in genres if g.lower() == genre.strip().lower()), None)
    if match is None:
        raise CineSyncError(
            f"There is no genre {limits.shorten(genre, 60)!r}; pick one from the list (e.g. {', '.join(genres[:5])})."
        )
    return match


class MoodPicksView(RecommendationsView):
    """The picks in a mood: the same view, its embed saying which mood."""

    def __init__(self, service: AsyncService, owner_id: int, recs: Recommendations, *, mood: str, **kwargs: Any):
        super().__init__(service, owner_id, recs, **kwargs)
        self.mood = mood

    def embed(self) -> discord.Embed:
        embed = super().embed()
        embed.description = limits.shorten(
            f"In the mood: **{self.mood}** (your own order).\n{embed.description or ''}", limits.EMBED_DESCRIPTION
        )
        return embed


class Picks(ServiceCog):
    @app_commands.command(
        name="my_recommendations", description="Films picked for your taste; tell me what you think of each"
    )
    @app_commands.describe(
        count=f"How many picks (1-{MAX_PICKS}, default 5)",
        genre="Only films of this genre",
        decade="Only films of this decade",
        mood="Only films in this mood, still in your own order",
    )
    @app_commands.choices(mood=MOOD_CHOICES)
    async def my_recommendations(
        self,
        interaction: discord.Interaction,
        count: app_commands.Range[int, 1, MAX_PICKS] = 5,
        genre: str | None = None,
        decade: app_commands.Range[int, 1800, 2100] | None = None,
        mood: app_commands.Choice[str] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        genre = await check_genre(self.service, genre)
        count = max(1, min(int(count), MAX_PICKS))
        named = mood.value if mood else None
        recs = await self.service.recommend(interaction.user.id, count, genre=genre, decade=decade, mood=named)
        view: RecommendationsView
        if named:
            view = MoodPicksView(self.service, interaction.user.id, recs, mood=named, genre=genre, decade=decade)
        else:
            view = RecommendationsView(self.service, interaction.user.id, recs, genre=genre, decade=decade)
        await send_view(interaction, view, embed=view.embed())

    @my_recommendations.autocomplete("genre")
    async def genre_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            return await genre_choices(self.service, current)
        except Exception:
            log.exception("genre autocomplete failed")
            return []

    @my_recommendations.autocomplete("decade")
    async def decade_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        try:
            return await decade_choices(self.service, current)
        except Exception:
            log.exception("decade autocomplete failed")
            return []
