"""``/cinesync_status`` for server managers: counts, database health, model versions.

Hidden from members by ``default_permissions`` (server admins can change that in Discord's
integration settings), and checked again at run time, since that setting is only a default.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from .. import formatting as fmt
from ..views import send_view
from .base import ServiceCog

__all__ = ["Admin", "is_manager"]

log = logging.getLogger("cinesync.bot")


def is_manager(interaction: discord.Interaction) -> bool:
    perms = getattr(interaction, "permissions", None)
    return bool(interaction.guild is not None and perms is not None and (perms.administrator or perms.manage_guild))


class Admin(ServiceCog):
    @app_commands.command(
        name="cinesync_status", description="Engine health for server managers: counts, database, models"
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def cinesync_status(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if not is_manager(interaction):
            await send_view(interaction, content="Only server managers (Manage Server) can see the engine status.")
            return
        try:
            status = await self.service.status()
        except Exception as exc:  # the point of a status command: say the database is down
            log.exception("status check failed")
            await send_view(interaction, embed=fmt.status_error_embed(exc))
            return
        await send_view(interaction, embed=fmt.status_embed(status))
