"""Stand-in Discord interactions for driving the bot's commands and views without Discord.

A ``FakeInteraction`` records what the bot does with it: ``response.defer`` and
``send_message``, ``followup.send`` (returning a ``FakeMessage`` whose edits are recorded too)
and ``edit_original_response``. ``press`` pushes a view's button the way Discord's dispatch does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

BOT_USER = 312_345_678_901_234_567  # a Discord snowflake, not one of the demo users
OTHER_USER = 498_765_432_109_876_543


@dataclass
class FakeUser:
    id: int
    name: str = "alice"

    @property
    def display_name(self) -> str:
        return self.name.title()


@dataclass
class FakeMessage:
    kwargs: dict
    edits: list = field(default_factory=list)

    async def edit(self, **kwargs) -> FakeMessage:
        self.edits.append(kwargs)
        return self


class FakeResponse:
    def __init__(self, interaction: FakeInteraction):
        self.interaction = interaction
        self._done = False

    def is_done(self) -> bool:
        return self._done

    def _respond(self, what: str, kwargs: dict) -> None:
        if self._done:
            raise discord.InteractionResponded(self.interaction)  # Discord allows one response
        self._done = True
        self.interaction.log.append((what, kwargs))

    async def defer(self, **kwargs) -> None:
        self._respond("defer", kwargs)

    async def send_message(self, content=None, **kwargs) -> None:
        self._respond("send_message", {"content": content, **kwargs})


class FakeFollowup:
    def __init__(self, interaction: FakeInteraction):
        self.interaction = interaction

    async def send(self, content=None, **kwargs) -> FakeMessage:
        assert self.interaction.response.is_done(), "followup before the interaction was answered"
        message = FakeMessage({"content": content, **kwargs})
        self.interaction.log.append(("followup", message.kwargs))
        self.interaction.sent.append(message)
        return message


class FakeInteraction:
    """What the bot's handlers touch on a ``discord.Interaction``, and a log of their replies."""

    def __init__(
        self,
        user_id: int = BOT_USER,
        *,
        name: str = "alice",
        guild: bool = True,
        permissions: discord.Permissions | None = None,
    ):
        self.user = FakeUser(user_id, name)
        self.guild = object() if guild else None
        self.permissions = permissions or discord.Permissions.none()
        self.command = None
        self.log: list[tuple[str, dict]] = []
        self.sent: list[FakeMessage] = []
        self.edits: list[dict] = []
        self.response = FakeResponse(self)
        self.followup = FakeFollowup(self)

    async def edit_original_response(self, **kwargs) -> None:
        assert self.response.is_done(), "edit before the interaction was answered"
        self.log.append(("edit", kwargs))
        self.edits.append(kwargs)

    # -- what the tests read ---------------------------------------------------------------------
    @property
    def first(self) -> tuple[str, dict]:
        return self.log[0]

    @property
    def last_sent(self) -> dict:
        return self.sent[-1].kwargs

    def texts(self) -> str:
        """Every content string and embed text the person saw, joined (for simple asserts)."""
        out = []
        for _, kw in self.log:
            if kw.get("content"):
                out.append(str(kw["content"]))
            embed = kw.get("embed")
            if embed is not None:
                out.append(str(embed.title or ""))
                out.append(str(embed.description or ""))
                out.extend(f"{f.name} {f.value}" for f in embed.fields)
        return "\n".join(out)


async def press(
    view: discord.ui.View, custom_id: str, interaction: FakeInteraction, values: list[str] | None = None
) -> None:
    """Press a view's item as Discord would: ``interaction_check`` first, then the callback."""
    item = next(c for c in view.children if getattr(c, "custom_id", None) == custom_id)
    if values is not None:  # what Discord sends for a select
        item._values = values  # noqa: SLF001 (where discord.py keeps a select's chosen values)
    if await view.interaction_check(interaction):
        await item.callback(interaction)
