"""Slash commands, grouped by what they are about; each cog gets the shared AsyncService."""

from __future__ import annotations

from .admin import Admin
from .profile import Profile
from .rating import Rating
from .recommendations import Picks

__all__ = ["COGS", "Admin", "Profile", "Rating", "Picks"]

COGS = (Rating, Picks, Profile, Admin)
