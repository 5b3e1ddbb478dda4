"""Slash commands, grouped by what they are about; each cog gets the shared AsyncService."""

from __future__ import annotations

from .admin import Admin
from .explain import Why
from .history import History
from .my_data import MyData
from .profile import Profile
from .rating import Rating
from .recommendations import Picks
from .unrate import Unrating
from .watch_party import WatchParty

__all__ = ["COGS", "Admin", "History", "MyData", "Profile", "Rating", "Picks", "Unrating", "WatchParty", "Why"]

# Every cog, in the order they are added: a host bot that adds ``COGS`` (docs/integration.md)
# gets every command the project's own bot has.
COGS = (Rating, Picks, Profile, History, Admin, WatchParty, MyData, Why, Unrating)
