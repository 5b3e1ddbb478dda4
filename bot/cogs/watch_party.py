"""``/watch_party``: films for everyone watching, with each member's predicted stars and a vote.

The party is the person who runs it, up to five members they name, and everyone (not a bot) in
their voice channel when they are in one. The list is posted in the channel, so the members can
vote on it (``views.vote``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import discord
from discord import app_commands

from personalization.errors import CineSyncError, UnknownUser
from personalization.service.groups import MAX_MEMBERS

from ..views.vote import MAX_FILMS, VoteView
from .base import ServiceCog
from .recommendations import MOOD_CHOICES

__all__ = ["WatchParty", "party_members", "STRATEGY_CHOICES", "MOOD_CHOICES"]

log = logging.getLogger("cinesync.bot")

STRATEGY_CHOICES = [
    app_commands.Choice(name="least misery: nothing anyone would hate (default)", value="least_misery"),
    app_commands.Choice(name="average: the highest mean predicted stars", value="average"),
    app_commands.Choice(name="approval: liked by the most of you", value="approval"),
]


def party_members(caller: Any, named: Iterable[Any | None]) -> list[Any]:
    """The caller, the named members and the caller's voice channel (bots left out), each once,
    in that order."""
    voice = getattr(caller, "voice", None)
    channel = getattr(voice, "channel", None)
    in_voice = list(getattr(channel, "members", []) or [])
    out: list[Any] = []
    for member in [caller, *named, *in_voice]:
        if member is None or getattr(member, "bot", False) or any(m.id == member.id for m in out):
            continue
        out.append(member)
    return out


class WatchParty(ServiceCog):
    @app_commands.command(
        name="watch_party", description="Films for everyone watching, with each member's predicted stars, and a vote"
    )
    @app_commands.describe(
        member1="Someone watching with you (your voice channel's members join in by themselves)",
        member2="Someone else watching",
        member3="Someone else watching",
        member4="Someone else watching",
        member5="Someone else watching",
        strategy="How the group's list is made (default: least misery)",
        mood="Only films in this mood",
        count=f"How many films (1-{MAX_FILMS}, default 5)",
    )
    @app_commands.choices(strategy=STRATEGY_CHOICES, mood=MOOD_CHOICES)
    @app_commands.guild_only()  # members and voice channels belong to a server
    async def watch_party(
        self,
        interaction: discord.Interaction,
        member1: discord.Member | None = None,
        member2: discord.Member | None = None,
        member3: discord.Member | None = None,
        member4: discord.Member | None = None,
        member5: discord.Member | None = None,
        strategy: app_commands.Choice[str] | None = None,
        mood: app_commands.Choice[str] | None = None,
        count: app_commands.Range[int, 1, MAX_FILMS] = 5,
    ) -> None:
        await interaction.response.defer(thinking=True)  # public: the members vote on it
        members = party_members(interaction.user, [member1, member2, member3, member4, member5])
        if len(members) < 2:
            raise CineSyncError(
                "A watch party needs someone to watch with: name a member, or run it from a voice channel with friends."
            )
        members = members[:MAX_MEMBERS]
        names = {m.id: str(m.display_name) for m in members}
        try:
            picks = await self.service.group_recommend(
                [m.id for m in members],
                max(1, min(int(count), MAX_FILMS)),
                strategy=strategy.value if strategy else "least_misery",
                mood=mood.value if mood else None,
            )
        except UnknownUser as exc:
            who = names.get(int(exc.user_id), str(exc.user_id)) if isinstance(exc.user_id, int) else exc.user_id
            raise CineSyncError(
                f"{who} has not rated anything yet: they can /rate a few films first (or leave them out)."
            ) from None
        view = VoteView(picks, interaction.user.id, names)
        message = await interaction.followup.send(embed=view.embed(), view=view, wait=True)
        view.message = message
