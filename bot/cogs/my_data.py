"""``/my_data``: everything CineSync stores about you, as a JSON file only you can see."""

from __future__ import annotations

import gzip
import io
import json
from typing import Any

import discord
from discord import app_commands

from personalization.errors import UnknownUser

from ..views import send_view
from .base import ServiceCog

__all__ = ["MyData", "data_file", "summary_text", "FILE_LIMIT"]

FILE_LIMIT = 8 * 1024 * 1024  # bytes a bot may attach anywhere (Discord's smallest upload limit)


def data_file(data: dict[str, Any]) -> discord.File:
    """The export as ``cinesync-data-<id>.json`` (gzip-compressed when it would not fit)."""
    raw = json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    name = f"cinesync-data-{data['user_id']}.json"
    if len(raw) > FILE_LIMIT:
        raw, name = gzip.compress(raw), name + ".gz"
    return discord.File(io.BytesIO(raw), filename=name)


def summary_text(data: dict[str, Any]) -> str:
    """What the file holds, table by table, and how to delete it."""
    counts = ", ".join(f"{table} {len(rows)}" for table, rows in sorted(data["tables"].items()))
    variants = "".join(
        f"\nIn the A/B test **{e['experiment']}** you are in variant **{e['variant']}**." for e in data["experiments"]
    )
    return (
        f"Everything CineSync stores about you is in this file (rows per table: {counts}).{variants}\n"
        "**/forget_me** deletes all of it."
    )


class MyData(ServiceCog):
    @app_commands.command(name="my_data", description="Everything CineSync stores about you, as a file only you see")
    async def my_data(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await self.service.user_data(interaction.user.id)
        except UnknownUser:
            await send_view(interaction, content="CineSync stores nothing about you.")
            return
        await send_view(interaction, content=summary_text(data), file=data_file(data))
