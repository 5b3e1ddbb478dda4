"""Slash commands, grouped by what they are about; each cog gets the shared AsyncService."""

from __future__ import annotations

from .admin import Admin
from .history import History
from .profile import Profile
from .rating import Rating
from .recommendations import Picks

__all__ = ["COGS", "Admin", "History", "Profile", "Rating", "Picks"]

COGS = (Rating, Picks, Profile, History, Admin)
