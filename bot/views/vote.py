"""The watch party's vote: one button per film, the tallies in the message, the host closes it.

Only the party's members may vote (anyone else gets a polite refusal); each member has one vote
and may move it; the host (who ran /watch_party) closes the vote, which names the winner (most
votes, then the higher place in the group's list). The embed is built by a pure function
(``party_embed``) that tests call directly.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping

import discord

from personalization.service.groups import GroupRecommendations

from .. import formatting as fmt
from .. import limits
from ..limits import fit_lines, shorten
from .base import Callback, CallbackButton, OwnedView, button_label

__all__ = ["VoteView", "party_embed", "winner", "NOT_A_MEMBER", "MAX_FILMS"]

log = logging.getLogger("cinesync.bot")

MAX_FILMS = 10  # two rows of five buttons; the close button on a third
NOT_A_MEMBER = "Only the watch party's members can vote — ask the host to run /watch_party with you in it."
STRATEGY_TEXT = {
    "average": "ranked by the members' mean predicted stars",
    "least_misery": "ranked by the least happy member's predicted stars; nothing anyone would hate",
    "approval": "ranked by how many of you are predicted to like it",
}


def winner(picks: GroupRecommendations, votes: Mapping[int, int]) -> int | None:
    """The film with the most votes (ties: the higher place in the list); None without votes."""
    if not votes:
        return None
    tally = Counter(votes.values())
    order = {p.film.id: i for i, p in enumerate(picks.items)}
    return min(tally, key=lambda film: (-tally[film], order.get(film, len(order))))


def party_embed(
    picks: GroupRecommendations,
    names: Mapping[int, str],
    votes: Mapping[int, int] | None = None,
    *,
    closed: bool = False,
) -> discord.Embed:
    """The group's films: each with every member's predicted stars and its votes so far."""
    votes = votes or {}
    tally = Counter(votes.values())
    who = ", ".join(names.get(u, str(u)) for u in picks.user_ids)
    lines = [f"For {who}: {STRATEGY_TEXT.get(picks.strategy, picks.strategy)}."]
    if picks.mood:
        lines.append(f"Mood: **{picks.mood}**.")
    if picks.no_taste:
        lines.append(
            "No taste learned yet for "
            + ", ".join(names.get(u, str(u)) for u in picks.no_taste)
            + ": /rate a few films for better picks."
        )
    if not picks.items:
        lines.append("No film suits everyone: try another strategy or mood.")
    elif closed:
        best = winner(picks, votes)
        film = next((p.film for p in picks.items if p.film.id == best), None)
        lines.append(f"🍿 Vote closed: **{fmt.film_label(film)}** wins." if film else "Vote closed without votes.")
    else:
        lines.append(f"Vote with the buttons below ({len(votes)} of {len(picks.user_ids)} voted).")
    embed = discord.Embed(
        title=shorten(f"Watch party: {fmt.plural(len(picks.user_ids), 'member')}", limits.EMBED_TITLE),
        colour=fmt.BRAND,
        description=fit_lines(lines, limits.EMBED_DESCRIPTION),
    )
    for i, pick in enumerate(picks.items[:MAX_FILMS], start=1):
        each = " · ".join(f"{shorten(names.get(u, str(u)), 20)} {pick.likings[u]:.1f}★" for u in picks.user_ids[:8])
        more = f" · +{len(picks.user_ids) - 8} more" if len(picks.user_ids) > 8 else ""
        hated = (
            " · ⚠ " + ", ".join(names.get(u, str(u)) for u in pick.hated_by) + " may hate it" if pick.hated_by else ""
        )
        value = [
            f"{', '.join(pick.film.genres) or 'no genre listed'}",
            f"{each}{more}{hated}",
            f"votes: {tally.get(pick.film.id, 0)}",
        ]
        embed.add_field(
            name=shorten(f"{i}. {fmt.film_label(pick.film, limits.FIELD_NAME - 8)}", limits.FIELD_NAME),
            value=fit_lines(value, limits.FIELD_VALUE),
            inline=False,
        )
    embed.set_footer(text="predicted stars (0.5-5) from each member's own ratings")
    return fmt.fit_embed(embed)


class VoteView(OwnedView):
    """One button per film for the members; "Close vote" for the host (``owner_id``)."""

    def __init__(self, picks: GroupRecommendations, host_id: int, names: Mapping[int, str], *, timeout: float = 3600.0):
        super().__init__(host_id, timeout=timeout)
        self.picks, self.names = picks, dict(names)
        self.members = set(picks.user_ids)
        self.votes: dict[int, int] = {}  # member -> film
        self.closed = False
        for i, pick in enumerate(picks.items[:MAX_FILMS], start=1):
            self.add_item(
                CallbackButton(
                    self._vote_for(pick.film.id),
                    label=button_label(f"{i}. {pick.film.title}"),
                    row=(i - 1) // 5,
                    custom_id=f"party:vote:{pick.film.id}",
                    style=discord.ButtonStyle.secondary,
                )
            )
        if picks.items:
            self.add_item(
                CallbackButton(
                    self._close,
                    label=button_label("Close vote"),
                    emoji="🍿",
                    row=2,
                    custom_id="party:close",
                    style=discord.ButtonStyle.primary,
                )
            )

    def embed(self) -> discord.Embed:
        return party_embed(self.picks, self.names, self.votes, closed=self.closed)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id in self.members:
            return True
        await interaction.response.send_message(NOT_A_MEMBER, ephemeral=True)
        return False

    def _vote_for(self, film_id: int) -> Callback:
        async def callback(interaction: discord.Interaction) -> None:
            await self.vote(interaction, film_id)

        return callback

    async def vote(self, interaction: discord.Interaction, film_id: int) -> None:
        await interaction.response.defer()
        self.votes[interaction.user.id] = film_id
        self.names.setdefault(interaction.user.id, interaction.user.display_name)
        await interaction.edit_original_response(embed=self.embed(), view=self)

    async def _close(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "Only the host who started the party can close the vote.", ephemeral=True
            )
            return
        await interaction.response.defer()
        self.closed = True
        await self.finish(interaction, embed=self.embed())
