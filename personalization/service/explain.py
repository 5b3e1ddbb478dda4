"""Why each pick was made: short English reasons, from the ranking's scores and the user's history.

Pure functions (no I/O): a pick's ``personal`` and ``base`` parts are its scaled scores (0 to 1)
from the user's taste vector and from the base models, which learn from every member's ratings.
A reason only says what those numbers show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from personalization.core.catalogue import Catalogue
from personalization.core.ranker import ScoredFilm

__all__ = ["reasons", "reason", "LIKED_STARS", "NO_SIGNAL", "POPULAR", "LIKED_BY_OTHERS"]

LIKED_STARS = 4.0  # a film rated (or loved/liked to the same strength) 4 stars or more is "liked"
CLOSE = 0.5  # a personal part at least this large is "close to your taste"

NO_SIGNAL = "nothing sets it apart yet (fills the list)"
POPULAR = "popular with other members"
LIKED_BY_OTHERS = "liked by other members"
TASTE = "matches your taste profile"


def reason(item: ScoredFilm, *, personalised: bool, has_history: bool, liked_closest: str | None = None) -> str:
    """The reason for one pick. ``liked_closest``: the label of the film the user liked whose
    content is most like this pick's (None when they liked none, or none is alike)."""
    if item.score <= 0.0:
        return NO_SIGNAL  # the lowest of the candidates on every term: no reason to claim one
    if personalised and item.personal >= item.base:
        return f"because you liked {liked_closest}" if liked_closest else TASTE
    others = LIKED_BY_OTHERS if has_history else POPULAR
    if personalised and item.personal >= CLOSE:
        return f"{others}, and close to your taste"
    return others


def reasons(
    catalogue: Catalogue, items: Sequence[ScoredFilm], taste: Mapping[int, float], *, personalised: bool
) -> list[str]:
    """A reason per pick. ``taste``: the user's effective signal per film, in stars (``History.taste``)."""
    liked = catalogue.positions([f for f, stars in taste.items() if stars >= LIKED_STARS])
    closest: list[str | None] = [None] * len(items)
    if personalised and len(liked) and items:
        picks = catalogue.positions([s.film_id for s in items])
        sims = catalogue.matrix[liked] @ catalogue.matrix[picks].T  # liked x picks cosines
        best = np.argmax(sims, axis=0)
        closest = [catalogue.films[liked[b]].label if sims[b, j] > 0 else None for j, b in enumerate(best)]
    return [
        reason(item, personalised=personalised, has_history=bool(taste), liked_closest=c)
        for item, c in zip(items, closest)
    ]
