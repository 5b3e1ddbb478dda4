"""What every view shares: ownership, time-out, sending, sharing.

Every view belongs to the person who ran the command (``OwnedView.interaction_check``: anyone
else gets a polite ephemeral refusal), times out by greying out its items, and sends failures to
the shared ``report_error``. Every callback defers first, then calls the async service, then
edits its message or sends a followup; no blocking call runs on the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from personalization.service import AsyncService

from .. import formatting as fmt
from .. import limits
from ..errors import report_error
from ..limits import shorten

__all__ = [
    "OwnedView",
    "ShareView",
    "CallbackButton",
    "CallbackSelect",
    "Callback",
    "button_label",
    "send_view",
    "signal_count",
    "remember_name",
    "share",
    "NOT_YOURS",
]

log = logging.getLogger("cinesync.bot")

NOT_YOURS = "These buttons belong to someone else's command — run it yourself to get your own."


Callback = Callable[[discord.Interaction], Awaitable[None]]


def button_label(text: str) -> str:
    return shorten(text, limits.BUTTON_LABEL)


class CallbackButton(discord.ui.Button["OwnedView"]):
    """A button built at run time whose press runs ``on_press`` (a method of its view)."""

    def __init__(self, on_press: Callback, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_press = on_press

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.on_press(interaction)


class CallbackSelect(discord.ui.Select["OwnedView"]):
    """A menu built at run time whose choice runs ``on_choose`` (a method of its view)."""

    def __init__(self, on_choose: Callback, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_choose = on_choose

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.on_choose(interaction)


class OwnedView(discord.ui.View):
    """A view only its owner may use; on timeout its items are disabled on the message."""

    def __init__(self, owner_id: int, *, timeout: float = 600.0):
        super().__init__(timeout=timeout)
        self.owner_id = int(owner_id)
        self.message: discord.Message | discord.WebhookMessage | None = None  # set once sent

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(NOT_YOURS, ephemeral=True)
        return False

    def disable(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True

    async def on_timeout(self) -> None:
        self.disable()
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:  # message deleted or token expired: nothing to grey out
                log.debug("could not disable a timed-out view", exc_info=True)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        await report_error(interaction, error)

    async def finish(self, interaction: discord.Interaction, **edit: Any) -> None:
        """Disable everything, stop listening and show ``edit`` (embed=..., content=...)."""
        self.disable()
        self.stop()
        await interaction.edit_original_response(view=self, **edit)


async def send_view(
    interaction: discord.Interaction, view: OwnedView | None = None, **kwargs: Any
) -> discord.WebhookMessage:
    """Send an ephemeral followup (the interaction is already deferred) and remember the message
    on the view, so its timeout can disable the buttons."""
    if view is not None:
        kwargs["view"] = view
    message = await interaction.followup.send(ephemeral=True, wait=True, **kwargs)
    if view is not None:
        view.message = message
    return message


async def signal_count(service: AsyncService, user_id: int) -> int:
    """What the personal-picks threshold counts: the films the person rated or reacted to."""
    _, seen = await service.history(user_id)
    return len(seen)


async def remember_name(service: AsyncService, interaction: discord.Interaction, n_ratings: int) -> None:
    """Store the Discord name with the first rating (dashboards show it; /forget_me deletes it)."""
    if n_ratings == 1:
        await service.set_user_name(interaction.user.id, str(interaction.user.name))


async def share(interaction: discord.Interaction, embed: discord.Embed) -> None:
    """Post a copy of a private embed in the channel, signed: the person chose to share it."""
    public = embed.copy()
    public.set_author(name=shorten(f"shared by {interaction.user.display_name}", limits.AUTHOR))
    await interaction.followup.send(embed=fmt.fit_embed(public), ephemeral=False)


class ShareView(OwnedView):
    """One button that posts the (private) embed publicly in the channel, once."""

    def __init__(self, owner_id: int, embed: discord.Embed, *, timeout: float = 600.0):
        super().__init__(owner_id, timeout=timeout)
        self.embed = embed

    @discord.ui.button(label="Share in channel", emoji="📣", style=discord.ButtonStyle.secondary, custom_id="share")
    async def share_button(self, interaction: discord.Interaction, button: discord.ui.Button[ShareView]) -> None:
        await interaction.response.defer()
        await share(interaction, self.embed)
        await self.finish(interaction)
