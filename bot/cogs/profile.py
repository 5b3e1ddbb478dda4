"""``/my_stats`` (the taste profile) and ``/forget_me`` (delete it all, after a confirmation)."""

from __future__ import annotations

import discord
from discord import app_commands

from personalization.core.drift import summary as drift_summary
from personalization.core.preferences import PreferenceProfile
from personalization.errors import UnknownUser

from .. import formatting as fmt
from .. import limits
from ..limits import shorten
from ..views import ConfirmForgetView, ShareView, send_view
from .base import ServiceCog

__all__ = ["Profile", "drift_text"]


def drift_text(profile: PreferenceProfile) -> str:
    """The "Taste drift" field: is the person's recent taste departing from their long-term one."""
    drift = profile.drift
    line = drift_summary(drift)
    if drift is not None and drift.drifting:
        return "Your taste is on the move — " + line
    return line[:1].upper() + line[1:]


class Profile(ServiceCog):
    @app_commands.command(
        name="my_stats", description="Your taste profile: favourite genres, people, decades and style"
    )
    async def my_stats(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        min_ratings = self.service.model_settings.min_ratings
        try:
            profile = await self.service.profile(interaction.user.id)
        except UnknownUser:
            await send_view(
                interaction,
                content="I know nothing about your taste yet: rate a few "
                f"films with **/rate** ({fmt.counted_signals(min_ratings)} unlock "
                "personal picks).",
            )
            return
        picks = await self.service.recommend(interaction.user.id, 1)  # how personal they are now
        embed = fmt.profile_embed(profile, picks, name=getattr(interaction.user, "display_name", None))
        embed.add_field(name="Taste drift", value=shorten(drift_text(profile), limits.FIELD_VALUE), inline=False)
        embed = fmt.fit_embed(embed)
        await send_view(interaction, ShareView(interaction.user.id, embed), embed=embed)

    @app_commands.command(name="forget_me", description="Delete everything CineSync stores about you (asks first)")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        view = ConfirmForgetView(self.service, interaction.user.id)
        await send_view(
            interaction,
            view,
            content=(
                "This deletes your ratings, feedback, taste profile and stored name, for every server "
                "this bot is in. It cannot be undone. Continue?"
            ),
        )
