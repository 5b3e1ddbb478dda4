"""The bot's buttons and menus: quick-rating cards, feedback on picks, the forget-me confirmation.

Every view belongs to the person who ran the command (``OwnedView.interaction_check``: anyone
else gets a polite ephemeral refusal), times out by greying out its items, and sends failures to
the shared ``report_error``. Every callback defers first, then calls the async service, then
edits its message or sends a followup; no blocking call runs on the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from personalization.core.catalogue import Film
from personalization.core.preferences import STAR_STEPS
from personalization.errors import CineSyncError
from personalization.service import AsyncService, Recommendations

from . import formatting as fmt
from . import limits
from .errors import report_error
from .limits import shorten

__all__ = [
    "OwnedView",
    "QuickRateView",
    "RecommendationsView",
    "ConfirmForgetView",
    "ShareView",
    "start_quick_rating",
    "send_view",
    "signal_count",
    "NOT_YOURS",
]

log = logging.getLogger("cinesync.bot")

NOT_YOURS = "These buttons belong to someone else's command — run it yourself to get your own."
QUICK_BATCH = 5


Callback = Callable[[discord.Interaction], Awaitable[None]]


def _label(text: str) -> str:
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


# -- quick rating --------------------------------------------------------------------------------
class QuickRateView(OwnedView):
    """One card at a time: star buttons (whole stars), a menu (half stars), Skip and Done.

    With ``refill`` it asks the service for more films when the cards run out (popular, diverse,
    not yet rated, not skipped this round); without it, it stops after the given films.
    """

    def __init__(
        self,
        service: AsyncService,
        owner_id: int,
        films: Sequence[Film],
        *,
        n_signals: int,
        min_ratings: int,
        refill: bool = True,
        timeout: float = 600.0,
    ):
        super().__init__(owner_id, timeout=timeout)
        self.service, self.min_ratings, self.refill = service, min_ratings, refill
        self.queue = list(films)
        self.seen = {f.id for f in films}
        self.n_signals, self.rated_now = n_signals, 0  # films rated or reacted to; rated here
        self.last: str | None = None
        for stars in (1, 2, 3, 4, 5):
            self.add_item(
                CallbackButton(
                    self._rate_button(float(stars)),
                    label=_label("★" * stars),
                    style=discord.ButtonStyle.primary,
                    custom_id=f"quick:stars:{stars}",
                    row=0,
                )
            )
        self.menu = CallbackSelect(
            self._rate_menu,
            placeholder=shorten("Or pick half stars…", limits.SELECT_PLACEHOLDER),
            custom_id="quick:half",
            row=1,
            options=[
                discord.SelectOption(label=shorten(fmt.star_choice_name(s), limits.SELECT_OPTION_LABEL), value=f"{s:g}")
                for s in STAR_STEPS
            ],
        )
        self.add_item(self.menu)
        self.add_item(
            CallbackButton(self._skip, label="Skip", style=discord.ButtonStyle.secondary, custom_id="quick:skip", row=2)
        )
        self.add_item(
            CallbackButton(self._done, label="Done", style=discord.ButtonStyle.success, custom_id="quick:done", row=2)
        )

    @property
    def current(self) -> Film | None:
        return self.queue[0] if self.queue else None

    def card(self) -> discord.Embed:
        """The current film's card; the closing summary once there is no film left."""
        film = self.current
        if film is None:
            return self._done_embed(out_of_films=self.refill)
        return fmt.quick_card_embed(film, self.n_signals, self.min_ratings, rated_now=self.rated_now, last=self.last)

    def _rate_button(self, stars: float) -> Callback:
        async def callback(interaction: discord.Interaction) -> None:
            await self._rate(interaction, stars)

        return callback

    async def _rate_menu(self, interaction: discord.Interaction) -> None:
        await self._rate(interaction, float(self.menu.values[0]))

    async def _rate(self, interaction: discord.Interaction, stars: float) -> None:
        await interaction.response.defer()
        film = self.current
        if film is None:
            return await self.finish(interaction, embed=self._done_embed(out_of_films=True))
        result = await self.service.rate(self.owner_id, film.id, stars)
        await remember_name(self.service, interaction, result.n_ratings)
        self.n_signals = await signal_count(self.service, self.owner_id)
        self.rated_now += 1
        self.last = shorten(f"{fmt.film_label(film, 60)}: {fmt.stars_text(stars)}", 120)
        await self._advance(interaction)

    async def _skip(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        if self.current is not None:
            self.last = shorten(f"skipped {fmt.film_label(self.current, 60)}", 120)
        await self._advance(interaction)

    async def _done(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await self.finish(interaction, embed=self._done_embed(out_of_films=False))

    def _done_embed(self, *, out_of_films: bool) -> discord.Embed:
        return fmt.quick_done_embed(self.n_signals, self.min_ratings, self.rated_now, out_of_films=out_of_films)

    async def _advance(self, interaction: discord.Interaction) -> None:
        if self.queue:
            self.queue.pop(0)
        if not self.queue and self.refill:
            more = await self.service.films_to_rate(self.owner_id, QUICK_BATCH + len(self.seen))
            self.queue = [f for f in more if f.id not in self.seen][:QUICK_BATCH]
            self.seen.update(f.id for f in self.queue)
        if not self.queue:  # a single-film card simply ends; the quick flow ran out of films
            return await self.finish(interaction, embed=self._done_embed(out_of_films=self.refill))
        await interaction.edit_original_response(embed=self.card(), view=self)


async def start_quick_rating(service: AsyncService, interaction: discord.Interaction) -> QuickRateView | None:
    """Send the first quick-rating card as an ephemeral followup (the interaction is deferred)."""
    user_id = interaction.user.id
    min_ratings = service.model_settings.min_ratings
    films = await service.films_to_rate(user_id, QUICK_BATCH)
    n_signals = await signal_count(service, user_id)
    if not films:
        await send_view(interaction, embed=fmt.quick_done_embed(n_signals, min_ratings, 0, out_of_films=True))
        return None
    view = QuickRateView(service, user_id, films, n_signals=n_signals, min_ratings=min_ratings)
    await send_view(interaction, view, embed=view.card())
    return view


# -- feedback on recommendations ----------------------------------------------------------------
class RecommendationsView(OwnedView):
    """A menu choosing one of the picks, then buttons for it: the five feedback kinds,
    "More like this" and, below the rating threshold, "Rate films".

    (Six buttons for each of ten picks would exceed Discord's 25 components per message, so the
    menu selects the pick the buttons act on.)
    """

    def __init__(
        self,
        service: AsyncService,
        owner_id: int,
        recs: Recommendations,
        *,
        genre: str | None = None,
        decade: int | None = None,
        timeout: float = 840.0,
    ):
        super().__init__(owner_id, timeout=timeout)
        self.service, self.recs, self.genre, self.decade = service, recs, genre, decade
        self.picks = [r.film for r in recs.items[: limits.SELECT_OPTIONS]]
        self.selected: Film | None = self.picks[0] if self.picks else None
        self.feedback: dict[int, str] = {}
        self.n_signals = recs.n_ratings  # films rated or reacted to; reactions here add to it
        self.menu = CallbackSelect(
            self._select, placeholder="Which pick?", custom_id="recs:pick", row=0, options=self._options()
        )
        if self.picks:
            self.add_item(self.menu)
            for kind, (label, emoji, _) in fmt.FEEDBACK_LABELS.items():
                self.add_item(
                    CallbackButton(
                        self._feedback_button(kind),
                        label=_label(label),
                        emoji=emoji,
                        row=1,
                        custom_id=f"recs:feedback:{kind}",
                        style=discord.ButtonStyle.secondary,
                    )
                )
            self.add_item(
                CallbackButton(
                    self._similar,
                    label=_label("More like this"),
                    emoji="🔎",
                    row=2,
                    custom_id="recs:similar",
                    style=discord.ButtonStyle.primary,
                )
            )
            self.add_item(
                CallbackButton(
                    self._share,
                    label=_label("Share"),
                    emoji="📣",
                    row=2,
                    custom_id="recs:share",
                    style=discord.ButtonStyle.secondary,
                )
            )
        if recs.n_ratings < recs.min_ratings:
            self.add_item(
                CallbackButton(
                    self._quick,
                    label=_label("Rate films"),
                    emoji="⭐",
                    row=2,
                    custom_id="recs:quick",
                    style=discord.ButtonStyle.success,
                )
            )

    def _options(self) -> list[discord.SelectOption]:
        options = []
        for i, film in enumerate(self.picks, start=1):
            mark = self.feedback.get(film.id)
            note = f"you: {fmt.FEEDBACK_LABELS[mark][0].lower()} · " if mark else ""
            options.append(
                discord.SelectOption(
                    label=shorten(
                        f"{i}. {fmt.film_label(film, limits.SELECT_OPTION_LABEL - 4)}", limits.SELECT_OPTION_LABEL
                    ),
                    value=str(film.id),
                    description=shorten(
                        note + (", ".join(film.genres) or "no genre listed"), limits.SELECT_OPTION_DESCRIPTION
                    ),
                    default=self.selected is not None and film.id == self.selected.id,
                )
            )
        return options

    def embed(self) -> discord.Embed:
        return fmt.recommendations_embed(
            self.recs, genre=self.genre, decade=self.decade, feedback=self.feedback, n_signals=self.n_signals
        )

    def _chosen(self) -> Film:
        """The pick the buttons act on (the menu always has one chosen while it has picks)."""
        if self.selected is None:
            raise CineSyncError("Choose a film from the menu first.")
        return self.selected

    async def _select(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        chosen = int(self.menu.values[0])
        self.selected = next((f for f in self.picks if f.id == chosen), self.selected)
        self.menu.options = self._options()

    def _feedback_button(self, kind: str) -> Callback:
        async def callback(interaction: discord.Interaction) -> None:
            await self.give_feedback(interaction, kind)

        return callback

    async def give_feedback(self, interaction: discord.Interaction, kind: str) -> None:
        await interaction.response.defer()
        film = self._chosen()
        rank = self.picks.index(film) + 1
        await self.service.feedback(
            self.owner_id,
            film.id,
            kind,
            context={
                "source": "discord",
                "command": "my_recommendations",
                "rank": rank,
                "mode": self.recs.mode,
                "genre": self.genre,
                "decade": self.decade,
            },
        )
        self.feedback[film.id] = kind
        self.n_signals = await signal_count(self.service, self.owner_id)
        self.menu.options = self._options()
        await interaction.edit_original_response(embed=self.embed(), view=self)
        await interaction.followup.send(fmt.feedback_text(kind, film), ephemeral=True)

    async def _similar(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        film = self._chosen()
        similar = await self.service.similar_films(film.id, 5)
        await send_view(interaction, embed=fmt.similar_embed(film, similar))

    async def _share(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        shared = fmt.recommendations_embed(self.recs, genre=self.genre, decade=self.decade, n_signals=self.n_signals)
        shared.remove_footer()  # "pick a film below" means nothing without the buttons
        await share(interaction, shared)

    async def _quick(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await start_quick_rating(self.service, interaction)


# -- forget me -----------------------------------------------------------------------------------
class ConfirmForgetView(OwnedView):
    """Two buttons: delete everything (after which nothing about the person is stored) or cancel."""

    def __init__(self, service: AsyncService, owner_id: int, *, timeout: float = 120.0):
        super().__init__(owner_id, timeout=timeout)
        self.service = service
        self.deleted: int | None = None

    @discord.ui.button(label="Delete everything", style=discord.ButtonStyle.danger, custom_id="forget:confirm")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmForgetView]) -> None:
        await interaction.response.defer()
        self.deleted = await self.service.forget(self.owner_id)
        await self.finish(
            interaction,
            embed=None,
            content=(
                f"Done: I deleted everything I stored about you ({fmt.plural(self.deleted, 'record')}: ratings, "
                "feedback, taste profile, name). Rating a film again starts from scratch."
            ),
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="forget:cancel")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmForgetView]) -> None:
        await interaction.response.defer()
        await self.finish(interaction, content="Cancelled: nothing was deleted.")
