"""Settings several base models share (one flat name in ``ModelSettings`` for all of them)."""

from __future__ import annotations

from personalization.core.base_models.base import Param

__all__ = ["RECENCY_HALF_LIFE", "REFIT_EVERY"]

RECENCY_HALF_LIFE = Param(
    "recency_half_life",
    "recency_half_life",
    5.0,
    float,
    minimum=0.0,
    grid=(0.0, 5.0, 10.0, 25.0),
    help="in ratings: how fast older ratings of the history fade (0 = never)",
)
REFIT_EVERY = Param(
    "refit_every", "refit_every", 5000, int, minimum=1, help="most events between two refits of the item structure"
)
