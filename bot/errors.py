"""One way to report a failure: a short ephemeral message to the person, the full trace to the log.

Used by the command tree's ``on_error`` (every slash command and autocomplete) and by every
view's ``on_error`` (buttons and selects), so no handler needs its own try/except.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from personalization.errors import CineSyncError

from .formatting import error_text

__all__ = ["report_error", "message_for", "CineSyncTree"]

log = logging.getLogger("cinesync.bot")

UNEXPECTED = "Something went wrong on my side; it has been logged. Please try again in a moment."


def message_for(error: BaseException) -> str:
    """What the person reads: the engine's own message for their mistakes, a generic line for
    our bugs (the details of those belong in the log, not in a chat)."""
    original = getattr(error, "original", None) or error  # CommandInvokeError wraps the cause
    if isinstance(original, CineSyncError):
        return str(original)
    if isinstance(original, app_commands.MissingPermissions):
        return "Only server managers can use this command."
    if isinstance(original, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(original, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {original.retry_after:.0f} s."
    if isinstance(original, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(original, app_commands.TransformerError):
        return f"I could not understand {original.value!r}."
    return UNEXPECTED


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    original = getattr(error, "original", None) or error
    text = message_for(error)
    if text == UNEXPECTED:
        command = getattr(getattr(interaction, "command", None), "qualified_name", "?")
        log.error(
            "error in %s for user %s",
            command,
            getattr(interaction.user, "id", "?"),
            exc_info=(type(original), original, original.__traceback__),
        )
    else:
        log.info("refused for user %s: %s", getattr(interaction.user, "id", "?"), text)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(error_text(text), ephemeral=True)
        else:
            await interaction.response.send_message(error_text(text), ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell user %s about an error", getattr(interaction.user, "id", "?"), exc_info=True)


class CineSyncTree(app_commands.CommandTree):
    """The bot's command tree: its one ``on_error`` covers every slash command."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await report_error(interaction, error)
