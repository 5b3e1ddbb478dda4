"""The bot itself: built around one service, which the entry point opens and hands in.

The bot never opens its own database: ``cinesync bot`` (``bot.cli``) opens the ``Service`` once,
wraps it in an ``AsyncService`` and passes it here, so every shard of an ``AutoShardedBot`` in
this process shares one connection pool, and several bot processes (or the dashboard) share the
one PostgreSQL, keeping their caches in step through LISTEN/NOTIFY.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.ext import commands

from personalization.service import AsyncService

from .cogs import COGS
from .errors import CineSyncTree

__all__ = ["CineSyncBase", "CineSyncBot", "ShardedCineSyncBot", "build_bot", "command_payload", "intents"]

log = logging.getLogger("cinesync.bot")


def intents() -> discord.Intents:
    """Slash commands need only the guilds intent, and /watch_party the voice states (who is in
    the caller's voice channel); neither is privileged: nothing (members, presences, message
    content) has to be switched on in the developer portal."""
    return discord.Intents(guilds=True, voice_states=True)


class CineSyncBase(commands.Bot):
    """What both bot classes share: the service, the cogs and the optional command sync.

    ``service`` is None only for a bot built to list its commands (``command_payload``): its cogs
    can be added and described, not run.
    """

    def __init__(
        self, service: AsyncService | None, *, sync_guild: int | None = None, sync: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            tree_cls=CineSyncTree,
            help_command=None,
            **kwargs,
        )
        self.service = service
        self.sync_guild = sync_guild
        self.sync_on_start = sync

    async def add_cogs(self) -> None:
        """Add every cog; a broken cog is logged and skipped rather than stopping the bot."""
        for cog in COGS:
            try:
                await self.add_cog(cog(self.service))
            except Exception:
                log.exception("could not load cog %s", cog.__name__)

    async def setup_hook(self) -> None:
        await self.add_cogs()
        if self.sync_guild:
            guild = discord.Object(id=self.sync_guild)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.warning("synced %d commands to guild %s (they appear at once there)", len(synced), self.sync_guild)
        elif self.sync_on_start:
            synced = await self.tree.sync()
            log.warning("synced %d global commands (Discord may take a few minutes to show changes)", len(synced))

    async def on_ready(self) -> None:
        log.warning(
            "logged in as %s (%s) in %d servers, %s shard(s)",
            self.user,
            getattr(self.user, "id", "?"),
            len(self.guilds),
            self.shard_count or 1,
        )


class CineSyncBot(CineSyncBase):
    """One connection to Discord: right for a bot in fewer than about 1,000 servers."""


class ShardedCineSyncBot(CineSyncBase, commands.AutoShardedBot):
    """Several shards in one process (Discord requires sharding from 2,500 servers); every shard
    uses the same service and pool. (``commands.Bot`` adds nothing at run time, so the sharded
    client's connection and shard handling come from ``AutoShardedBot``.)"""


def build_bot(
    service: AsyncService | None, *, shards: str | int | None = None, sync_guild: int | None = None, sync: bool = True
) -> CineSyncBase:
    """``shards``: None/"off" for one connection, "auto" for Discord's recommended count, or a
    number of shards."""
    if shards is None or shards in ("off", "0", 0):
        return CineSyncBot(service, sync_guild=sync_guild, sync=sync)
    count = None if shards == "auto" else int(shards)
    return ShardedCineSyncBot(service, sync_guild=sync_guild, sync=sync, shard_count=count)


async def command_payload(bot: commands.Bot | None = None) -> list[dict[str, Any]]:
    """The application commands exactly as the bot registers them (no network, no database)."""
    if bot is None:
        bot = build_bot(None, sync=False)
        await bot.add_cogs()
    return [c.to_dict(bot.tree) for c in bot.tree.get_commands()]
