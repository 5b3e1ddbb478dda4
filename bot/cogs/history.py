"""``/import_history``: a member's Letterboxd or IMDb ratings export, sent as an attachment."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands

from personalization.data.letterboxd import MAX_BYTES, import_history
from personalization.errors import CineSyncError

from .. import formatting as fmt
from ..views import send_view, signal_count
from .base import ServiceCog

__all__ = ["History"]


class History(ServiceCog):
    @app_commands.command(
        name="import_history",
        description="Import your ratings from a Letterboxd (ratings.csv or the export zip) or IMDb export",
    )
    @app_commands.describe(
        export="Letterboxd: ratings.csv or the export .zip; IMDb: the CSV from Your Ratings > Export"
    )
    async def import_history_command(self, interaction: discord.Interaction, export: discord.Attachment) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if export.size > MAX_BYTES:
            raise CineSyncError(
                f"{export.filename} is {export.size / 1e6:.0f} MB; a ratings export is a few MB at most "
                "(send ratings.csv, not a video)."
            )
        data = await export.read()
        user_id = interaction.user.id
        # Reading, matching and rating are blocking work: a worker thread, never the event loop.
        report = await asyncio.to_thread(import_history, self.service.sync, user_id, data, export.filename)
        if report.stored:  # dashboards show the name; /forget_me deletes it
            await self.service.set_user_name(user_id, str(interaction.user.name))
        n_signals = await signal_count(self.service, user_id)
        min_ratings = self.service.model_settings.min_ratings
        await send_view(interaction, content=fmt.import_report_text(report.summary(), n_signals, min_ratings))
