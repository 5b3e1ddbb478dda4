"""What every cog shares: the engine's ``AsyncService``, handed in by whoever builds the bot."""

from __future__ import annotations

from discord.ext import commands

from personalization.service import AsyncService

__all__ = ["ServiceCog"]


class ServiceCog(commands.Cog):
    """A cog around the shared service.

    ``service`` may be None only in a bot built to list its commands (``bot.app.command_payload``:
    no database); running a command of such a cog is a programming error, said plainly.
    """

    def __init__(self, service: AsyncService | None):
        self._service = service

    @property
    def service(self) -> AsyncService:
        if self._service is None:
            raise RuntimeError(
                f"{type(self).__name__} was built without a service: its commands can be listed, not run"
            )
        return self._service
