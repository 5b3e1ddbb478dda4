"""/forget_me's confirmation: delete everything, or cancel."""

from __future__ import annotations

import discord

from personalization.service import AsyncService

from .. import formatting as fmt
from .base import OwnedView

__all__ = ["ConfirmForgetView"]


class ConfirmForgetView(OwnedView):
    """Two buttons: delete everything (after which nothing about the person is stored) or cancel."""

    def __init__(self, service: AsyncService, owner_id: int, *, timeout: float = 120.0):
        super().__init__(owner_id, timeout=timeout)
        self.service = service
        self.deleted: int | None = None

    @discord.ui.button(label="Delete everything", style=discord.ButtonStyle.danger, custom_id="forget:confirm")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmForgetView]) -> None:
        await interaction.response.defer()
        self.deleted = await self.service.forget(self.owner_id)
        await self.finish(
            interaction,
            embed=None,
            content=(
                f"Done: I deleted everything I stored about you ({fmt.plural(self.deleted, 'record')}: ratings, "
                "feedback, taste profile, name). Rating a film again starts from scratch."
            ),
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="forget:cancel")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmForgetView]) -> None:
        await interaction.response.defer()
        await self.finish(interaction, content="Cancelled: nothing was deleted.")
